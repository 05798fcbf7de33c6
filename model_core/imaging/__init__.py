"""From bytes, a canvas or a photo to a network's 28×28 input: decoding under limits
(`decode`), finding the ink — a drawing's levels, a photo's light, rulings and pieces
(`ink`) — and the recipes that place it (`preprocess`: MNIST's and EMNIST's), with the
bilinear sampling they and augmentation share (`sampling`). Imports `nn` at most (it does
not): never `data`, `training` or the model."""
