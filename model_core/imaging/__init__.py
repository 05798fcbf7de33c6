"""From bytes, a canvas or a photo to a network's 28×28 input: decoding under limits
(`decode`); finding the ink (`ink`), from a drawing's or a photo's levels (`levels`), ruled
paper's lines taken out (`rulings`) and the digit's pieces grouped (`pieces`); the recipes
that place it (`preprocess`: MNIST's and EMNIST's), with the bilinear sampling they and
augmentation share (`sampling`). Imports `nn` at most (it needs none of it): never `data`,
`training` or the model."""
