from flask import Flask

from app.database import db_session

app = Flask(__name__)


@app.teardown_appcontext
def shutdown_session(exception=None):
    db_session.remove()


from app import views  # noqa: E402,F401
