"""Directories deskbot acts on, behind the domain's `Directory` port: LDAP through ldap3.
(The built-in directory lives with deskbot's own records: domain/directory/builtin.py.)"""

from adapters.directory.ldap import LdapDirectory, ldap_factory

__all__ = ["LdapDirectory", "ldap_factory"]
