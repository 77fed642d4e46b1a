"""Fixtures shared by every test package live in the package conftests; this file stays
empty of autouse behaviour so the Django-free packages run without a database."""
