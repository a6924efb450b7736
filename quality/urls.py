from django.urls import path

from . import views

urlpatterns = [path("work/earnings/", views.my_earnings, name="my-earnings")]
