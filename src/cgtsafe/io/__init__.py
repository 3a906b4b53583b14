"""Shared readers and writers: FASTA genomes, gene annotations, deterministic tables."""
