from setuptools import find_packages, setup

setup(
    name="wiki",
    version="0.7.0",
    packages=find_packages(),
    install_requires=[
        "Babel >= 1.3",
        "SQLAlchemy >= 1.2.9, < 1.4",
    ],
)
