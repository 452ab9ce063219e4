"""What the inventory in use shares with the inventories beside it (playbooks/preflight.yml).

Two environments that declare one site name, bucket or user pool are one environment to AWS:
deploying one re-points the other's DNS, tearing one down deletes the other's records and
media. Each sibling inventory (another directory beside the one in use that holds a
``group_vars``) is rendered with Ansible's own inventory and variable managers, as a play of
it would see its model; ``collisions`` (pure) compares the values.
"""

from __future__ import annotations

from pathlib import Path

from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.plugins.lookup import LookupBase

DOCUMENTATION = r"""
name: vf_sibling_collisions
short_description: The values an inventory shares with the inventories beside it
description:
  - Renders every inventory beside the one in use (the other directories of its parent that hold
    a C(group_vars) directory) and returns each value named in I(names) that one of them declares
    equal to the play's own (domain names compare case-insensitively, without a final dot).
  - Empty values are never compared.
options:
  _terms:
    description: The inventory in use (C(inventory_dir)).
    required: true
  names:
    description:
      - "What must be an environment's own, as label -> an expression over the model (no braces),
        for example C({'site domain': 'videoforge_domain'}). A list value compares each of its items."
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check no other inventory declares this one's site name or bucket
  ansible.builtin.assert:
    that: __shared | length == 0
    fail_msg: "{{ __shared }}"
  vars:
    __shared: "{{ query('vf_sibling_collisions', inventory_dir, names={'site domain': 'videoforge_domain',
                                                                      'bucket': 'videoforge_bucket'}) }}"
"""

RETURN = r"""
_list:
  description: One per value shared, sorted by the other inventory then the label.
  type: list
  elements: dict
  contains:
    name: {description: The label of the value in I(names)., type: str}
    value: {description: The value both declare., type: str}
    inventory: {description: The inventory in use., type: str}
    other: {description: The inventory beside it that declares it too., type: str}
"""


def comparable(value) -> dict[str, str]:
    """A rendered value as compared (each non-empty item, lower case, without a final dot) ->
    as declared."""
    items = value if isinstance(value, (list, tuple, set)) else [value]
    found = {str(item).strip().rstrip(".").lower(): str(item) for item in items if item is not None}
    found.pop("", None)
    return found


def collisions(own: dict, siblings: dict[str, dict], inventory: str) -> list[dict]:
    """Each value of ``own`` (label -> rendered value) that a sibling (its path -> label ->
    rendered value) declares under the same label."""
    found = []
    for other, values in sorted(siblings.items()):
        for name in sorted(own):
            mine = comparable(own[name])
            for key in sorted(mine.keys() & comparable(values.get(name)).keys()):
                found.append({"name": name, "value": mine[key], "inventory": inventory, "other": other})
    return found


def siblings_of(inventory: Path) -> list[Path]:
    """The inventories beside ``inventory``: its parent's other directories with a group_vars."""
    here = inventory.resolve()
    return sorted(
        p for p in inventory.parent.iterdir() if p.resolve() != here and (p / "group_vars").is_dir()
    )


def render(inventory: Path, names: dict) -> dict:
    """``names`` rendered as a play on ``inventory``'s first host would see them."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template
    from ansible.vars.manager import VariableManager

    loader = DataLoader()
    hosts = InventoryManager(loader=loader, sources=[str(inventory)])
    found = hosts.get_hosts()
    if not found:
        return {}
    variables = VariableManager(loader=loader, inventory=hosts).get_vars(host=found[0])
    templar = Templar(loader=loader, variables=variables)
    return {
        name: templar.evaluate_expression(trust_as_template(expression)) for name, expression in names.items()
    }


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        from ansible.template import Templar, trust_as_template

        self.set_options(var_options=variables, direct=kwargs)
        names = self.get_option("names")
        if len(terms) != 1:
            raise AnsibleLookupError("vf_sibling_collisions takes one term: the inventory in use")
        inventory = Path(terms[0])
        templar = Templar(loader=self._loader, variables=variables)
        own = {name: templar.evaluate_expression(trust_as_template(expr)) for name, expr in names.items()}
        rendered = {}
        for sibling in siblings_of(inventory):
            try:
                rendered[str(sibling)] = render(sibling, names)
            except AnsibleError as err:
                raise AnsibleLookupError(
                    f"cannot render the inventory {sibling} to compare it: {err}"
                ) from err
        return collisions(own, rendered, str(inventory))
