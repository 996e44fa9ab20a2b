"""The typed core: missions, portfolios, links, decisions and the pure rules over them. No I/O here."""
