from django.urls import path

from .views import exports, imports

app_name = "customers_io"
urlpatterns = [
    path("import/", imports.import_start, name="import_start"),
    path("import/<int:pk>/", imports.import_job, name="import_job"),
    path("import/<int:pk>/mapping/", imports.import_mapping, name="import_mapping"),
    path("import/<int:pk>/commit/", imports.import_commit, name="import_commit"),
    path("import/<int:pk>/errors.xlsx", imports.import_errors_download, name="import_errors"),
    path("export/<str:entity>.<str:fmt>", exports.export, name="export"),
]
