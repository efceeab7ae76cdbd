from django.urls import path

from dossier import views

app_name = "dossier"

urlpatterns = [
    path("record/", views.record_choose, name="record-choose"),
    path("record/<str:type_code>/", views.record_item, name="record-item"),
    path("item/<int:pk>/", views.item_detail, name="item-detail"),
    path("attachment/<int:pk>/", views.attachment_download, name="attachment-download"),
    path("attachment/<int:pk>/view/", views.attachment_view, name="attachment-view"),
]
