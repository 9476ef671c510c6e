from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from app.database import get_session
from app.models import Supplier

app = FastAPI()


@app.get("/suppliers")
def list_suppliers(session: Session = Depends(get_session)):
    return session.query(Supplier).all()
