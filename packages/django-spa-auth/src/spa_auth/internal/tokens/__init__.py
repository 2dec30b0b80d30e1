"""Access tokens and refresh-token MACs: the JWT codec, keys derived from the server
secret, asymmetric key sets. Knows no database and imports no other wing."""
