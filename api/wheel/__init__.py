"""The wheel of fortune: prizes with published odds, spins granted by purchases."""
