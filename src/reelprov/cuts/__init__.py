"""Cuts: what is on screen.

`timeline` reads an edit through OpenTimelineIO (`fcpxml` mends what its FCPXML adapter cannot
read); `matching` finds the recorded asset each clip names (`frames` handles frame sequences);
`importing` records a cut as one ledger entry and answers `cut ls/show/rm`; `follow` imports a
cut again when its timeline file changes or media it named arrives.
"""
