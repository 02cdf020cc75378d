from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITED_MODELS = [
    "entry",
    "claim",
    "figure",
    "actor",
    "place",
    "source",
    "entryactor",
    "entrylink",
    "claimevidence",
]
# Editors record and correct; removing a whole entry, and publishing, is for publishers.
EDITOR_DELETABLE = ["claim", "figure", "entryactor", "entrylink", "claimevidence"]


def codenames_for(actions, models):
    return [f"{action}_{model}" for model in models for action in actions]


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations run; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    timeline_permissions = Permission.objects.filter(content_type__app_label="timeline")

    editor_codenames = codenames_for(["view", "add", "change"], EDITED_MODELS) + codenames_for(
        ["delete"], EDITOR_DELETABLE
    )
    publisher_codenames = (
        codenames_for(["view", "add", "change", "delete"], EDITED_MODELS) + ["publish_entry"]
    )

    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.set(timeline_permissions.filter(codename__in=editor_codenames))
    publishers, _ = Group.objects.get_or_create(name="Publishers")
    publishers.permissions.set(timeline_permissions.filter(codename__in=publisher_codenames))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Publishers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("timeline", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
