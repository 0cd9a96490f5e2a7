"""The printer's package: the print PDF, its preflight, job ticket and proofs in one folder."""
