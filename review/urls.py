from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    path("", views.my_review_tasks, name="my-tasks"),
    path("<int:pk>/", views.review_task, name="task"),
    path("withdrawn/<int:pk>/dismiss/", views.dismiss_withdrawn_task, name="dismiss-withdrawn"),
]
