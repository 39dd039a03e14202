"""The partner-API objects journeystack answers for, as flat records of SOAP property names."""

from __future__ import annotations

from collections.abc import Mapping

from journeystack.domain.auth import Grant, package_user_id
from journeystack.domain.dates import format_ms
from journeystack.domain.folders import Folder

# The order SFMC writes a DataFolder's members in.
FOLDER_PROPERTIES = (
    "Client.ID", "PartnerKey", "CreatedDate", "ModifiedDate", "ID", "ObjectID", "CustomerKey",
    "ParentFolder.ID", "ParentFolder.ObjectID", "ParentFolder.CustomerKey", "ParentFolder.Name",
    "Name", "Description", "ContentType", "IsActive", "IsEditable", "AllowChildren",
)  # fmt: skip

ACCOUNT_USER_PROPERTIES = (
    "Client.ID", "CreatedDate", "ModifiedDate", "ID", "CustomerKey", "AccountUserID", "UserID", "Name",
    "Email", "NotificationEmailAddress", "ActiveFlag", "IsAPIUser", "IsLocked", "MustChangePassword",
    "DefaultBusinessUnit", "LastSuccessfulLogin", "Delete",
)  # fmt: skip

# Types whose retrieve answers an empty, successful result: journeystack keeps no such objects,
# but mcdev caches them as dependencies of journeys on every retrieve and deploy.
EMPTY_TYPES = frozenset(
    {
        "TriggeredSendDefinition", "DataExtension", "DataExtensionField", "DataExtensionTemplate", "List",
        "Email", "SendClassification", "SenderProfile", "DeliveryProfile", "Program", "ContentArea",
        "Subscriber", "ListSubscriber", "QueryDefinition", "ImportDefinition", "Automation", "Role",
        "BusinessUnit", "AccountUserAccount",
    }
)  # fmt: skip

# When the packages were "installed": a fixed date, so every answer about them is the same.
_INSTALLED_MS = 1_577_836_800_000  # 2020-01-01T00:00:00


def folder_record(folder: Folder, parent: Folder | None) -> dict[str, object]:
    return {
        "Client.ID": folder.mid,
        "PartnerKey": None,
        "CreatedDate": format_ms(folder.created_ms),
        "ModifiedDate": format_ms(folder.modified_ms),
        "ID": folder.id,
        "ObjectID": folder.object_id,
        "CustomerKey": folder.customer_key,
        "ParentFolder.ID": folder.parent_id,
        "ParentFolder.ObjectID": parent.object_id if parent else None,
        "ParentFolder.CustomerKey": parent.customer_key if parent else None,
        "ParentFolder.Name": parent.name if parent else None,
        "Name": folder.name,
        "Description": folder.description,
        "ContentType": folder.content_type,
        "IsActive": folder.is_active,
        "IsEditable": folder.is_editable,
        "AllowChildren": folder.allow_children,
    }


def folder_records(folders: list[Folder]) -> list[dict[str, object]]:
    by_id = {f.id: f for f in folders}
    return [folder_record(f, by_id.get(f.parent_id)) for f in folders]


def account_user_record(grant: Grant) -> dict[str, object]:
    """The installed package's API user, as SFMC lists it among a business unit's users.

    mcdev's user cache expects at least one user with an e-mail address; the address is in the
    reserved `.invalid` domain, so it can never reach anybody.
    """
    user_id = package_user_id(grant.client_id)
    return {
        "Client.ID": grant.mid,
        "CreatedDate": format_ms(_INSTALLED_MS),
        "ModifiedDate": format_ms(_INSTALLED_MS),
        "ID": user_id,
        "CustomerKey": grant.client_id,
        "AccountUserID": user_id,
        "UserID": grant.client_id,
        "Name": f"{grant.client_id} app user",
        "Email": f"{grant.client_id}@journeystack.invalid",
        "NotificationEmailAddress": "",
        "ActiveFlag": True,
        "IsAPIUser": True,
        "IsLocked": False,
        "MustChangePassword": False,
        "DefaultBusinessUnit": grant.mid,
        "LastSuccessfulLogin": format_ms(_INSTALLED_MS),
        "Delete": 0,
    }


def chosen_properties(requested: tuple[str, ...], order: tuple[str, ...]) -> tuple[str, ...]:
    """The properties to write, once per request: those asked for (every known one when none is),
    in SFMC's order; asked-for properties journeystack does not keep are left out. Linear in the
    request, however many Properties it lists."""
    if not requested:
        return order
    wanted = {name.lower() for name in requested}
    return tuple(name for name in order if name.lower() in wanted)


def selected(record: Mapping[str, object], chosen: tuple[str, ...]) -> list[str]:
    """The chosen properties a record has."""
    return [name for name in chosen if name in record]
