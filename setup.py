"""Which files make the package (everything else about the project is in pyproject.toml).

``templates/`` and ``migrations/`` sit at the top of the checkout, beside the package (the
project's layout: ``make install``'s editable install and ``make demo`` run from there). A wheel,
and so a plain ``pip install /path/to/checkout``, carries them inside the package, as
``accreditation/templates`` and ``accreditation/migrations``; ``accreditation.paths`` finds them
either way. The built front-end assets (``accreditation/static/dist``, ``make assets``) go in
with the rest of ``static``: build them before building the wheel.
"""

from setuptools import find_namespace_packages, setup

# Folders at the top of the checkout that an installed copy carries inside the package.
MAPPED = {"accreditation.templates": "templates", "accreditation.migrations": "migrations"}
NOT_PACKAGES = ["__pycache__", "*.__pycache__", "*.__pycache__.*"]


def packages() -> list[str]:
    """The package and its folders, the mapped folders' own subfolders too (setuptools calls
    every folder that Python could import a package)."""
    found = find_namespace_packages(include=["accreditation", "accreditation.*"],
                                    exclude=NOT_PACKAGES)
    for package, folder in MAPPED.items():
        found += [package, *(f"{package}.{name}" for name in
                             find_namespace_packages(where=folder, exclude=NOT_PACKAGES))]
    return found


setup(
    packages=packages(),
    package_dir=MAPPED,
    package_data={
        "accreditation": ["checklists/**/*.yaml", "checklists/**/*.json", "static/**/*",
                          "data/**/*"],
        "accreditation.templates": ["**/*"],
        # The revisions under versions/ are Python modules of their own folder.
        "accreditation.migrations": ["README", "alembic.ini", "script.py.mako"],
    },
)
