"""The origin verdict: strongest evidence wins; no evidence, or only untrustworthy claims of human, is unknown."""

from reelprov.classify import classify


def ev(kind: str, origin: str | None, tool: str | None = None) -> dict[str, str | None]:
    return {"source": kind, "kind": kind, "origin": origin, "tool": tool, "detail": ""}


def test_nothing_found_is_unknown_never_human() -> None:
    assert classify([]) == ("unknown", [])


def test_strongest_evidence_wins() -> None:
    assert classify([ev("camera", "human"), ev("generator_text", "ai_generated", "ComfyUI")]) == (
        "ai_generated",
        ["ComfyUI"],
    )
    assert classify([ev("c2pa", "human"), ev("tool_hint", "ai_generated", "Suno")]) == (
        "human",
        ["Suno"],
    )


def test_an_invalid_manifest_cannot_vouch_for_human_origin() -> None:
    # a signed capture changed after signing: its "digitalCapture" claim speaks of other content
    assert classify([ev("c2pa_invalid", "human")]) == ("unknown", [])
    # ... and must not outrank weaker evidence of AI
    assert classify(
        [ev("c2pa_invalid", "human"), ev("tool_hint", "ai_generated", "ElevenLabs")]
    ) == ("ai_generated", ["ElevenLabs"])
    assert classify([ev("c2pa_invalid", "human"), ev("camera", "human")]) == ("human", [])
    # its claim of AI still counts: the file was made with AI at some point
    assert classify([ev("c2pa_invalid", "ai_generated", "DALL-E")]) == ("ai_generated", ["DALL-E"])
