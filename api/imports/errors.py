"""Errors of member imports and exports."""

from api.errors import InvalidRequest, NotFound


class ImportNotFound(NotFound):
    """An import id that is not one of this program's imports."""

    code, title = "import_not_found", "Import not found"


class ImportFileUnreadable(InvalidRequest):
    """The file is not CSV or XLSX, has no header or no column that identifies a member, or
    the mapping names an unknown field or a column the file does not have."""

    code, title = "import_file_unreadable", "The import file cannot be read"


class ImportMappingInvalid(InvalidRequest):
    """The ``mapping`` form field is not a JSON object of member field -> column name."""

    code, title = "import_mapping_invalid", "The column mapping is not a JSON object of names"


class ImportUploadNotFound(NotFound):
    """The uploaded file to import is not this merchant's, was imported already, or was
    deleted (a dry run's file is kept for a day)."""

    code, title = "import_upload_not_found", "The uploaded file is no longer available"
