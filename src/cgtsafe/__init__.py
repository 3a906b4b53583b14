"""cgtsafe: genomic safety evidence for cell- and gene-therapy IND dossiers."""

__version__ = "0.1.0"
