# Area Clienti Business. `make run` serves the demo on SQLite; `make test` runs the whole
# suite against PostgreSQL. Both install and build what they need first.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/area_clienti
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/area_clienti_bench
VENDOR := assets/vendor

.PHONY: system-for-run system-for-test system-for-cluster system-for-bench run test bench load load-outage cluster load-cluster lint format typecheck install assets messages lock check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The venv is rebuilt when the dependencies or their lock change.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Front-end packages come from the npm registry, pinned by package-lock.json.
$(VENDOR)/.built: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/bootstrap
	# The .map files are not shipped: drop the comments that point at them.
	sed '/sourceMappingURL/d' node_modules/bootstrap/dist/css/bootstrap.min.css > $(VENDOR)/bootstrap/bootstrap.min.css
	sed '/sourceMappingURL/d' node_modules/bootstrap/dist/js/bootstrap.bundle.min.js > $(VENDOR)/bootstrap/bootstrap.bundle.min.js
	mkdir -p $(VENDOR)/chartjs
	sed '/sourceMappingURL/d' node_modules/chart.js/dist/chart.umd.min.js > $(VENDOR)/chartjs/chart.umd.min.js
	touch $@

assets: $(VENDOR)/.built

messages: install
	$(BIN)/pybabel compile --domain django --directory locale --statistics 2>&1 | tail -n 2

# What each needs from the system (Debian packages, and PostgreSQL running for the tests):
# installed as root, otherwise the command to run is printed (scripts/system-packages.sh).
# First among the prerequisites, so it comes before the venv and npm need it.
system-for-run:
	@PYTHON=$(PYTHON) bash scripts/system-packages.sh run

system-for-test:
	@PYTHON=$(PYTHON) DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} bash scripts/system-packages.sh test

# wrk and curl for the served pages, and PostgreSQL as for the tests (bench/run.py's database).
system-for-bench:
	@PYTHON=$(PYTHON) DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} bash scripts/system-packages.sh bench

system-for-cluster:
	@PYTHON=$(PYTHON) DATABASE_URL=$${CLUSTER_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/area_clienti_cluster} \
		bash scripts/system-packages.sh cluster

run: system-for-run install assets messages
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py seed_demo
	# The task worker (PDFs of large invoices) runs beside the web server and stops with it.
	# The server runs with DEBUG off (DEMO keeps the demo key and the console e-mails), so a
	# missing page or an error shows the product's 404 and 500 pages, not Django's debug ones.
	trap 'kill 0' EXIT; DEBUG=true $(BIN)/python manage.py db_worker & \
		DEMO=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Two workers (pytest-xdist), one a core: the browser tests keep the suite near 30 minutes
# in one process, and under 30 minutes is CI's limit.
test: system-for-test install assets messages lint typecheck
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} SECRET_KEY=$${SECRET_KEY:-test-only-secret-key} \
		$(BIN)/pytest -n $${TEST_WORKERS:-2}

# Performance bars at scale, on PostgreSQL (database area_clienti_bench, built once).
bench: system-for-bench install assets messages
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(BIN)/python bench/run.py

# 50 people of mixed profiles for 2 minutes against gunicorn and PostgreSQL (load/run.py).
load: install assets messages
	$(BIN)/python load/run.py

# The same load, with PostgreSQL cut off for 15 s in the middle: friendly 503s, recovery by
# itself, payments, top-ups and requests neither lost nor doubled (load/run.py).
load-outage: install assets messages
	$(BIN)/python load/run.py outage

# Several machines played on this one (load/cluster.py): HAProxy on http://127.0.0.1:8100 in
# front of two gunicorn nodes, Redis, two RQ workers, a PostgreSQL streaming replica for the
# consumption pages. Ctrl-C stops it all, the replica too. The replica needs root.
cluster: system-for-cluster install assets messages
	$(BIN)/python load/cluster.py serve

# The outage load through that cluster while a web node is killed (SIGKILL) and restarted,
# the RQ worker rendering a large PDF is killed, and the replica stops for 15 s: no error
# beyond the killed node's requests under way, every payment, top-up and request once, the
# PDF finished by the other worker, the consumption pages served throughout.
load-cluster: system-for-cluster install assets messages
	$(BIN)/python load/cluster.py load

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo --no-cache  # the layers: pyproject.toml, [tool.importlinter]

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	SECRET_KEY=$${SECRET_KEY:-typecheck-only} $(BIN)/mypy .

# Production needs a real payment provider (dummy Stripe keys stand in for the real ones)
# and the domain passkeys are bound to.
check-deploy: install
	DJANGO_SETTINGS_MODULE=area_clienti.production SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
		ALLOWED_HOSTS=area-clienti.example.it PAYMENT_GATEWAY=stripe STRIPE_API_KEY=sk_live_dummy \
		WEBAUTHN_RP_ID=area-clienti.example.it WEBAUTHN_ORIGINS=https://area-clienti.example.it \
		SITE_URL=https://area-clienti.example.it SIM_PROVISIONING=operator_clients.provisioning.Client \
		STRIPE_WEBHOOK_SECRET=whsec_dummy $(BIN)/python manage.py check --deploy --fail-level WARNING

# Regenerates constraints.txt from a fresh resolution of pyproject.toml's ranges.
lock:
	rm -rf /tmp/acb-lock && $(PYTHON) -m venv /tmp/acb-lock
	/tmp/acb-lock/bin/pip install --quiet -e ".[dev]"
	/tmp/acb-lock/bin/pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf $(VENV) node_modules $(VENDOR) staticfiles
