"""Weight-free measurements on decoded frames (numpy only): camera motion, colour, luma, temporal light."""
