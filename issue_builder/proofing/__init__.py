"""Proofing aids: proofs, flatplan, diffs."""
