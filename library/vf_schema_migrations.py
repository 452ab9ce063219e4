#!/usr/bin/python
"""Apply VideoForge's schema migrations (apps/videoforge/migrations) in one module run."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_schema_migrations
short_description: Bring the VideoForge database schema up to date
description:
  - Applies the versioned migrations under I(apps_dir)C(/videoforge/migrations) that the database
    has not applied yet, in order, each in its own transaction (C(videoforge.migrate), the code
    C(python -m videoforge.migrate) runs).
  - Reads where the database is from the environment, as the services do (C(DB_HOST),
    C(DB_PORT), C(DB_NAME), C(DB_USER), C(DB_PASSWORD), C(DB_SSLMODE), C(DB_SSLROOTCERT)); set
    them with the task's C(environment), so the password is never a module argument.
  - In check mode it connects, reads which migrations are applied and changes nothing; the
    result and C(--diff) say what a run would apply.
options:
  apps_dir:
    description: The directory holding the C(videoforge) package (the repository's C(apps/)).
    type: path
    required: true
  create_database:
    description: Create C(DB_NAME) first when it does not exist (needs a role that may create databases).
    type: bool
    default: false
notes:
  - Supports check mode and diff mode.
  - Needs C(psycopg) in the Python the module runs with.
author: VideoForge
"""

EXAMPLES = r"""
- name: Apply the schema migrations
  vf_schema_migrations:
    apps_dir: "{{ playbook_dir }}/../apps"
  environment:
    DB_HOST: 127.0.0.1
    DB_PORT: "5432"
    DB_NAME: videoforge
    DB_USER: videoforge
    DB_PASSWORD: "{{ db_password }}"
"""

RETURN = r"""
create_database:
  description: Whether the database was (in check mode, would be) created.
  returned: always
  type: bool
applied:
  description: The versions applied by this run (in check mode, that a run would apply), in order.
  returned: always
  type: list
  elements: str
"""

import sys

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

OPTIONS = {
    "apps_dir": {"type": "path", "required": True},
    "create_database": {"type": "bool", "default": False},
}


def main() -> None:
    """Apply the pending migrations (or, in check mode, say which they are): the migrations' own
    run (``videoforge.migrate.converge``) from the checkout at ``apps_dir``, with its diff."""
    module = AnsibleModule(argument_spec=OPTIONS, supports_check_mode=True)
    sys.path.insert(0, module.params["apps_dir"])
    try:
        from videoforge import migrate
        from videoforge.settings import Settings
    except ImportError as err:
        module.fail_json(msg=missing_required_lib("psycopg") if "psycopg" in str(err) else str(err))
    settings = Settings.from_env()
    try:
        result = migrate.converge(
            settings.db_conninfo, settings.db_name, module.check_mode, module.params["create_database"]
        )
    except Exception as err:  # psycopg's errors: the database's own message, never a traceback
        module.fail_json(msg=f"schema migrations: {type(err).__name__}: {err}")
    module.exit_json(**result, diff={"before": {"pending": result["applied"]}, "after": {"pending": []}})


if __name__ == "__main__":
    main()
