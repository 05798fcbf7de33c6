"""From bytes, a canvas or a photo to a network's 28×28 input: decoding under limits
(`decode`); finding the ink (`ink`), told from a drawing's flat background or a photo's
uneven light (`backgrounds`), ruled paper's lines taken out (`rulings`) and the digit's
pieces grouped (`pieces`); the recipes that place it (`preprocess`: MNIST's and EMNIST's),
with the bilinear sampling they and augmentation share (`sampling`); the 28×28 as bytes, PNG
or data URL (`encode`). Imports `nn` at most (it needs none of it): never `data`,
`training` or the model."""
