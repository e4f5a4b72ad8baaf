"""Records' URLs, in the order Django tries them (views: records/views/, one module per area)."""

from django.urls import path

from records.views import (
    board,
    clients,
    comments,
    create,
    deals,
    fields,
    handoffs,
    lists,
    merge,
    tasks,
    tickets,
)

app_name = "records"
urlpatterns = [
    # board
    path("pipeline/", board.board, name="board"),
    path("pipeline/<int:pk>/", board.pipeline_board, name="pipeline_board"),
    path("pipeline/stages/<int:pk>/cards/", board.column_more, name="column_more"),
    path("deals/<int:pk>/move/", board.deal_move, name="deal_move"),
    # clients
    path("clients/<int:pk>/", clients.client_detail, name="client_detail"),
    path("clients/<int:pk>/timeline/", clients.client_timeline, name="client_timeline"),
    path("clients/<int:pk>/activities/", clients.log_activity, name="client_log_activity"),
    path("clients/<int:pk>/archive/", clients.archive, name="client_archive"),
    # comments
    path("comments/<str:target>/<int:pk>/", comments.comment_thread, name="comment_thread"),
    path("comment/<int:pk>/", comments.comment_show, name="comment_show"),
    path("comment/<int:pk>/reply/", comments.comment_reply, name="comment_reply"),
    path("comment/<int:pk>/edit/", comments.comment_edit, name="comment_edit"),
    path("comment/<int:pk>/delete/", comments.comment_delete, name="comment_delete"),
    path("comments/people/", comments.mention_people, name="mention_people"),
    # create
    path("clients/new/", create.client_new, name="client_new"),
    path("clients/new/duplicates/", create.client_duplicates, name="client_duplicates"),
    path("clients/<int:pk>/contacts/new/", create.contact_new, name="contact_new"),
    path(
        "clients/<int:pk>/contacts/new/duplicates/",
        create.contact_duplicates,
        name="contact_duplicates",
    ),
    # deals
    path("deals/new/", deals.deal_new, name="deal_new"),
    path("deals/<int:pk>/", deals.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/win/", deals.deal_win, name="deal_win"),
    path("deals/<int:pk>/lose/", deals.deal_lose, name="deal_lose"),
    path("deals/<int:pk>/delete/", deals.deal_delete, name="deal_delete"),
    # fields
    path("fields/<str:model>/<int:pk>/<str:field>/", fields.field_edit, name="field_edit"),
    path("fields/<str:model>/<int:pk>/<str:field>/show/", fields.field_show, name="field_show"),
    path("history/<str:model>/<int:pk>/", fields.history, name="history"),
    # handoffs
    path("handoffs/", handoffs.handoff_inbox, name="handoff_inbox"),
    path("handoffs/count/", handoffs.handoff_count, name="handoff_count"),
    path("handoffs/<int:pk>/", handoffs.handoff_detail, name="handoff_detail"),
    path("handoffs/<int:pk>/actions/", handoffs.handoff_actions, name="handoff_actions"),
    path("handoffs/<int:pk>/accept/", handoffs.handoff_accept, name="handoff_accept"),
    path("handoffs/<int:pk>/decline/", handoffs.handoff_decline, name="handoff_decline"),
    path("handoffs/<int:pk>/withdraw/", handoffs.handoff_withdraw, name="handoff_withdraw"),
    path("clients/<int:pk>/handoff/", handoffs.handoff_new, name="handoff_new"),
    path("clients/<int:pk>/handoff/people/", handoffs.handoff_people, name="handoff_people"),
    # lists
    path("clients/", lists.client_list, name="client_list"),
    path("contacts/", lists.contact_list, name="contact_list"),
    path("deals/", lists.deal_list, name="deal_list"),
    path("tickets/", lists.ticket_list, name="ticket_list"),
    path("saved-views/<str:list_name>/", lists.saved_view_create, name="saved_view_create"),
    path("saved-views/<int:pk>/delete/", lists.saved_view_delete, name="saved_view_delete"),
    # merge
    path("clients/<int:pk>/merge/", merge.client_merge, name="client_merge"),
    # tasks
    path("tasks/", tasks.my_tasks, name="my_tasks"),
    path("tasks/team/", tasks.team_tasks, name="team_tasks"),
    path("tasks/new/", tasks.task_new, name="task_new"),
    path("tasks/quick/", tasks.task_quick, name="task_quick"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/status/", tasks.task_status, name="task_status"),
    path("tasks/<int:pk>/reassign/", tasks.task_reassign, name="task_reassign"),
    path("tasks/<int:pk>/checklist/", tasks.checklist_add, name="task_checklist_add"),
    path(
        "tasks/<int:pk>/checklist/<int:item>/tick/",
        tasks.checklist_toggle,
        name="task_checklist_toggle",
    ),
    path(
        "tasks/<int:pk>/checklist/<int:item>/remove/",
        tasks.checklist_remove,
        name="task_checklist_remove",
    ),
    # tickets
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/new/contacts/", tickets.ticket_contacts, name="ticket_contacts"),
    path("tickets/new/clients/", tickets.ticket_client_options, name="ticket_client_options"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/status/", tickets.ticket_status, name="ticket_status"),
    path("tickets/<int:pk>/rate/", tickets.ticket_rate, name="ticket_rate"),
    path("tickets/<int:pk>/assign-me/", tickets.ticket_assign_me, name="ticket_assign_me"),
    path("tickets/<int:pk>/controls/<str:part>/", tickets.ticket_controls, name="ticket_controls"),
]
