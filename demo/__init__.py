"""The demo company that ``manage.py seed_demo`` loads, built only on public services and helpers.

The top layer (DESIGN §2): it may use every app, and no app uses it. What it
writes is generated history (past timestamps, no notifications, no live
events), so it writes in bulk, in the services' shapes and words; demo/book.py
says why.

Modules: ``people`` (departments, staff, and how the generators pick people),
``book`` (the client book) with ``book_words`` (its vocabulary), ``book_rows``
(the rows' generator), ``history`` (audit rows and timeline entries) and
``work`` (tasks and handoffs); ``book_scale`` (bulk clients for benchmarks);
``chat_rooms`` (the chat) with ``chat_scripts`` (what is said) and
``chat_talk`` (saying it); ``meetings`` (the calendars) with
``meeting_planner`` (finding the times).
"""
