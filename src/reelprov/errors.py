"""Every domain error reelprov raises; only the CLI turns them into messages and exit codes."""

from __future__ import annotations

from collections.abc import Callable


class ReelprovError(Exception):
    """Base class: a problem the user can fix. The CLI prints it on one line and exits 2.

    The library never names a command-line option: a message names a value the caller gives as
    `{name}` and lists it in INPUTS. `str(exc)` reads "by is required" (a web app shows its own
    field), `exc.text(option)` lets the CLI say "--by is required"."""

    exit_code = 2

    def __init__(self, message: str = "", *, inputs: tuple[str, ...] = ()) -> None:
        self.template = message
        self.inputs = inputs
        super().__init__(self.text())

    def text(self, name: Callable[[str], str] = lambda field: field) -> str:
        """The message, each input named as NAME gives it (the field name by default)."""
        out = self.template
        for field in self.inputs:
            out = out.replace("{" + field + "}", name(field))
        return out


class ProjectNotFound(ReelprovError):
    """No reelprov.toml here or above, and no --project / REELPROV_PROJECT."""


class ConfigError(ReelprovError):
    """reelprov.toml (or a policy / tool table) cannot be read or holds an unknown field."""


class DatabaseError(ReelprovError):
    """The ledger database cannot be opened, is corrupt, or is unreachable."""


class LedgerMissing(DatabaseError):
    """No ledger where the project says (a SQLite file missing, empty or holding no ledger): a mistake
    to fix or a backup to restore, not an outage to wait out."""


class MigrationRequired(DatabaseError):
    """The ledger schema is older than this reelprov and automatic upgrade is switched off."""


class LedgerTooNew(DatabaseError):
    """The ledger schema is newer than this reelprov: a newer one upgraded it."""


class PathOutsideProject(ReelprovError):
    """A path given on the command line is not inside the project root."""


class UnrecordableName(ReelprovError):
    """A path given on the command line is not valid UTF-8: reelprov never records such a name."""


class UnknownAsset(ReelprovError):
    """No asset is recorded at that path (or matches that glob)."""


class UnknownTag(ReelprovError):
    """A tag that is not in the project's tag vocabulary."""


class UnknownFlag(ReelprovError):
    """No flag with that id."""


class FlagStateError(ReelprovError):
    """A decision that the flag's current state does not allow (e.g. approving a closed flag)."""


class ReviewedOtherContent(FlagStateError):
    """A decision made about content (--sha256) the flag no longer judges: the file changed since."""


class ApprovalRefRequired(ReelprovError):
    """Escalate / block flags need a written approval reference (--ref) to be approved."""


class ClearanceRequired(ApprovalRefRequired):
    """A tag, stage or declaration change that would resolve an escalate or block flag without a
    named person and a written reference: that would clear it with no one on record."""


class WaiverReasonRequired(ReelprovError):
    """A waiver says why no review is needed (--note); without it the ledger would not know."""


class CutImportError(ReelprovError):
    """A timeline that cannot be read or holds no clips."""


class UnknownCut(ReelprovError):
    """No imported cut by that name."""


class ReportError(ReelprovError):
    """The report cannot be written (bad format, missing folder, no permission)."""


class WatcherRunning(ReelprovError):
    """Another watcher already holds this project's lock on this host."""


class WatcherCannotStart(ReelprovError):
    """The watcher could not take its lock or could not write the ledger it would record into."""


class LedgerTampered(ReelprovError):
    """`verify` found an entry whose hash, order or payload does not match the chain."""

    exit_code = 1


class UseError(ReelprovError):
    """An intended GenAI use cannot be proposed or decided as asked (unknown purpose, no tool,
    malformed answers, a closed or unknown use)."""
