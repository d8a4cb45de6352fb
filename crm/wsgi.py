import os

from django.core.wsgi import get_wsgi_application

from crm.request_size import RequestSizeLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.dev")
# gunicorn and Django's own server take bodies of any size: the limit is counted here.
application = RequestSizeLimit(get_wsgi_application())
