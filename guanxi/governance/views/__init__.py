"""The settings pages (/settings/): audit trail, recycle bin, custom fields, people, departments, API tokens."""
