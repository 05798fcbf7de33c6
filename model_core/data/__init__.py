"""The data: MNIST and MNIST-style CSV with their checksums (`datasets`), EMNIST's characters
and their fixed split (`emnist`), augmentation (`augment`), drawings and photos made from
them (`synth`), and what is not one digit (`negatives`). May import `imaging` and `nn`,
never `training` or the model."""
