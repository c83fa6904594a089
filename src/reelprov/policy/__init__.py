"""Policy: rules as data that turn evidence, stage, tags and cut usage into flags."""
