"""Stage 5: write the PDFs of each output profile, atomically and reproducibly."""
