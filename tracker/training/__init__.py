"""The training wing: the trainer (losses from the model's head, pairs from the data wing,
validation through the evaluation wing, checkpoints, exact resume)."""
