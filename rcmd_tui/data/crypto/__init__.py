"""Encrypted fields: the envelope, decryption, the key store and key management, masking."""
