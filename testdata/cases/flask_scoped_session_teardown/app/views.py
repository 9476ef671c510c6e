from flask import request

from app import app
from app.database import db_session
from app.models import User


@app.route("/users", methods=["POST"])
def create_user():
    session = db_session()
    user = User(name=request.form["name"])
    session.add(user)
    session.commit()
    return {"id": user.id}


@app.route("/users/<int:user_id>")
def show_user(user_id):
    user = db_session.query(User).get(user_id)
    return {"name": user.name}


@app.route("/users/<int:user_id>", methods=["DELETE"])
def delete_user(user_id):
    session = db_session()
    session.query(User).filter(User.id == user_id).delete()
    session.commit()
    return {}
