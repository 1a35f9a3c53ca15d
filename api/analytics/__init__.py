"""Program analytics: is the program working (return rate, average check, liability...)."""
