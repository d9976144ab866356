"""Networks, their loss, training, saving and saliency."""
