"""The booking domain: matches, waitlists, players and the rules between them."""
