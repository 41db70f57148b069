# Python services image: `centralita serve api`, `centralita serve fastagi`, and the one-shot
# `render` service of docker-compose.yml (`centralita db upgrade` + `centralita asterisk render`).
# Debian-based (the image's default Debian sources); Python matches the development machines.
FROM python:3.11-slim-bookworm

# Same uid/gid as the asterisk user of asterisk/Dockerfile: rendered config, CDR CSV files and
# recordings cross between the two containers through volumes.
ARG CENTRALITA_UID=990

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CENTRALITA_DATA_DIR=/var/lib/centralita

# ffmpeg: recording conversion and the Opus archive (recorder worker, prompt uploads).
# espeak-ng and sox: the spoken prompts `centralita asterisk render` writes (the compose `render`
# service, and the api when it re-renders or a prompt is added by text).
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng ffmpeg sox \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid "${CENTRALITA_UID}" centralita \
 && useradd --system --uid "${CENTRALITA_UID}" --gid centralita --home-dir /var/lib/centralita \
        --create-home --shell /usr/sbin/nologin centralita

WORKDIR /app

# Dependencies first, in their own layer, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Editable install: the code finds migrations/ and asterisk/templates/ next to its packages
# (settings.REPO_ROOT), which a plain wheel install would leave behind.
COPY . .
RUN pip install --no-deps -e . \
 && mkdir -p /var/lib/centralita /etc/asterisk /var/spool/asterisk/monitor \
 && chown centralita:centralita /var/lib/centralita /etc/asterisk /var/spool/asterisk/monitor \
 && centralita --help >/dev/null

USER centralita
EXPOSE 8000 4573

# Healthchecks are per service in docker-compose.yml (api and fastagi share this image).
CMD ["centralita", "serve", "api"]
