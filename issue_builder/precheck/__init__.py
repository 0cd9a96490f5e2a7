"""What can be known of an issue before it is laid out: glyphs, fixed-size pictures, links (for `check`)."""
