"""The data wing: dataset layouts, pair sources, still-image synthesis, augmentation, the pair
sampler, generated sequences and rotated copies of datasets."""
