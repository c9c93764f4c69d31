"""Errors that describe bad input. Tools turn them into one-line messages and a non-zero exit."""


class EqtrackError(Exception):
    """Base class: a problem with the user's input (file, value, option), not a bug."""


class ConfigError(EqtrackError):
    """A configuration file or override is invalid (unknown key, wrong type, bad value)."""


class CheckpointError(EqtrackError):
    """A checkpoint is missing, not an eqtrack checkpoint, or does not match its config."""


class InputError(EqtrackError):
    """An input video, frame folder, box or dataset is missing or malformed."""


class TrainingError(EqtrackError):
    """Training cannot go on sensibly (e.g. the loss or the weights became non-finite)."""
