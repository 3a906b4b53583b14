"""CAR/TCR target antigen expression across normal human tissues (004 九（一）, ER-10)."""
