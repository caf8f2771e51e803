"""Dataset readers (MNIST IDX files; SHD/SSC HDF5 come with the training issue)."""
