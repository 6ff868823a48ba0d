#!/usr/bin/env python3
"""Writes crates/web/openapi.json: the paths, parameters, request bodies and error answers of the
description served at /api/v1/openapi.json. The success bodies are added by the server from the
handlers' return types (crates/web/src/described.rs).

Edit the tables below when the API changes; tests check that every route is described here and
that every answer the code describes lands on an operation of this document.
"""
import json
import pathlib

ERR = {"$ref": "#/components/responses/Error"}


def op(summary, body=None, ok="200", params=None):
    # 503: the database's writer or the password hashing is saturated (Retry-After says when to retry).
    o = {"summary": summary, "responses": {ok: {"description": "OK"}, "400": ERR, "401": ERR, "403": ERR, "404": ERR, "409": ERR, "422": ERR, "503": ERR}}
    if body:
        o["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}}
    if params:
        o["parameters"] = params
    return o


ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64"}}]


def q(name, typ="string", desc=""):
    return {"name": name, "in": "query", "required": False, "schema": {"type": typ}, "description": desc}


PATHS = {
    "/auth/login": {"post": {**op("Log in; returns a bearer token (429 after five failures from one client within 15 minutes)", "Login"), "security": []}},
    "/auth/logout": {"post": op("End the current session or token")},
    "/me": {"get": op("The current user"), "patch": op("Change own display name, locale or password (needs current_password)", "MeUpdate")},
    "/users": {"get": op("People of the organization"), "post": op("Create a person (admin)", "NewUser", "201")},
    "/users/{id}": {"get": op("One person", params=ID), "patch": op("Change role, superior, name or password (admin)", "UserPatch", params=ID)},
    "/users/{id}/deactivate": {"post": op("Deactivate a person; their customers go to handover_to or the pool (admin)", "Deactivate", params=ID)},
    "/users/{id}/unlock": {"post": op("Lift the login throttle on a person: clears every failed attempt (admin)", params=ID)},
    "/organization": {"get": op("Company settings"), "patch": op("Protection period, clerk visibility, claim limits, cool-down, warning days (admin)", "OrgSettings")},
    "/customers": {
        "get": op("Customers within the caller's scope; search by name, pinyin, initials, phone or e-mail", params=[
            q("q", "string", "substring of the name, pinyin, initials, phone or e-mail; a broad search lists the 1,000 most recently registered matches and answers total 1000 with total_capped true"),
            q("page", "integer"), q("per_page", "integer", "1..200, default 20"), q("owner_id", "integer"),
            q("sort", "string", "name, -name, created, -created, -updated, last_contact, -last_contact"),
            q("deleted", "boolean", "recycle bin (admin, director)"), q("dealers", "boolean", "dealers only"),
            q("kind", "string", "company or individual"), q("region", "string"), q("industry", "string"),
            q("source", "string"), q("tier", "string", "priority, general or last"),
            q("man_class", "string", "MAN, MAn, … (capital: has it)"),
            q("key_account", "string", "core, core_potential, secondary or general"),
            q("inactive_days", "integer", "no follow-up logged for this many days (1..3650)"),
            q("bought_product", "integer", "bought this product"), q("last_order_before", "string", "YYYY-MM-DD: ordered, but not since"),
            q("spent_min", "string", "total of CNY orders at least"), q("spent_max", "string", "total of CNY orders at most"),
            q("cf.<key>", "string", "filter by a custom field's value")]),
        "post": op("Register a customer (duplicate check: 409 duplicate_customer); the caller owns it unless owner_id names someone in their team", "CustomerInput", "201")},
    "/customers/{id}": {"get": op("One customer (404 outside the caller's scope)", params=ID),
                        "patch": op("Change fields; send the version you read (stale: 409)", "CustomerPatch", params=ID),
                        "delete": op("Soft delete (admin, director, supervisor)", ok="204", params=ID + [q("version", "integer")])},
    "/customers/{id}/restore": {"post": op("Restore a deleted customer (admin, director)", params=ID)},
    "/customers/import": {"post": {**op("Import customers from a CSV body (text/csv; UTF-8 or GB18030) or an Excel workbook (.xlsx, first sheet; header row with name / 客户名称, kind, phone, email, address, region, industry, source, notes). Every row is checked for duplicates within the file and against the organization; all or nothing unless skip_rejected=true (422 with the rejected lines when aborted). Owned by owner_id (someone in the caller's team) or the caller. A .vcf body (vCard 2.1/3.0/4.0) imports too: one company per organisation with its contacts, individuals otherwise. map: a JSON object header → field (name, kind, phone, email, address, region, industry, source, notes, owner, custom.<key>, or empty for none), remembered for files with the same headers (422 map: mapped_twice, unknown_field, unknown_column, invalid_map). dry_run=true: checks everything and writes nothing; the answer (200) lists new rows (line, name) and rejected ones (same_as: the earlier line; duplicate_of: the registered customer with its owner), and aborted says whether a real import would stop.", params=[q("owner_id", "integer"), q("skip_rejected", "boolean"), q("dry_run", "boolean"), q("map")]),
                                   "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}},
    "/contacts/import": {"post": {**op("Import contacts from another system (CSV or .xlsx body; columns 外部编号/external_id, 客户名称/customer, 联系人/name, 职务/title, 电话/phone, 邮箱/email, 决策人/decision_maker, 备注/notes). Each row's customer is found by name within the caller's scope (422 unknown_customer, ambiguous_customer); a known external id updates its contact or leaves it unchanged. All or nothing unless skip_rejected=true; dry_run=true writes nothing. Answers created, updated, unchanged, rejected, aborted, dry_run.", params=[q("skip_rejected", "boolean"), q("dry_run", "boolean")]),
                                  "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}},
    "/orders/import": {"post": {**op("Import orders from another system (CSV or .xlsx body), one row per order line: 订单号/order_no (required; the rows of one order share it), 客户名称/customer, 下单时间/ordered_at (the caller's zone; a date alone is 09:00), 产品编码/product (an active product's code), 数量/quantity, 单价/unit_price (empty: the price list's), 到期日/due_date (empty: net 30), 已收/paid (recorded as one payment at the order's time). Each order goes to its customer's owner (422 customer_in_pool, unknown_customer, ambiguous_customer, unknown_product, mixed_currency); a bad line keeps its whole order out (order_incomplete, inconsistent_order). An order number already imported changes nothing (unchanged). All or nothing unless skip_rejected=true; dry_run=true writes nothing.", params=[q("skip_rejected", "boolean"), q("dry_run", "boolean")]),
                                "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}},
    "/activities/import": {"post": {**op("Import follow-ups from another system (columns 外部编号/external_id, 客户名称/customer, 跟进方式/kind, 跟进人/by (username in the caller's team), 时间/occurred_at (the caller's zone), 内容/summary, 结果/outcome, 下一步/next_step, 地点/location); as the contacts import. A known external id corrects what was said; who, when and how stay.", params=[q("skip_rejected", "boolean"), q("dry_run", "boolean")]),
                                  "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}},
    "/customers/export": {"get": op("Every live customer in the caller's scope as CSV (UTF-8 with BOM; the columns the import reads; cells that would start a formula are prefixed with an apostrophe) or, with format=xlsx, as an Excel workbook of text cells. Salespeople get 403; every export is recorded in the audit log (entity customer_export)", params=[q("format")])},
    "/customers/duplicates": {"get": op("On-demand duplicate check (客户查重)", params=[q("kind"), q("name"), q("phone"), q("email"), q("exclude_id", "integer")])},
    "/customers/suspected-duplicates": {"get": op("Groups of customers in scope sharing a name, phone or e-mail key (managers)")},
    "/customers/{id}/merge": {"post": op("Merge merged_id into this customer (managers)", "MergeRequest", params=ID)},
    "/merges": {"get": op("Merges, newest first (managers)")},
    "/merges/{id}/undo": {"post": op("Undo a merge (managers)", params=ID)},
    "/customers/{id}/contacts": {"get": op("Contacts (and linked relatives) of a customer", params=ID), "post": op("Add a contact or a relative", "ContactInput", "201", params=ID)},
    "/contacts/{id}": {"get": op("One contact", params=ID), "patch": op("Change a contact; send its version", "ContactPatch", params=ID), "delete": op("Soft delete a contact", ok="204", params=ID)},
    "/customers/{id}/activities": {"get": op("Logged contacts, newest first", params=ID), "post": op("Log a contact; restarts the protection clock at the server's time", "ActivityInput", "201", params=ID)},
    "/customers/{id}/qualification": {"put": op("Set MAN, screening-matrix inputs and tier (full replacement; send version)", "Qualification", params=ID)},
    "/due-contacts": {"get": op("Customers in scope whose next call or visit is due", params=[q("within_days", "integer"), q("owner_id", "integer")])},
    "/customers/{id}/ownership": {"get": op("Ownership history (register, claim, recycle, release, transfer, deactivation)", params=ID)},
    "/customers/{id}/release": {"post": op("Return to the pool by hand with a reason (owner or manager)", "Reason", params=ID)},
    "/customers/transfer": {"post": op("Transfer customers to a person in the caller's team (managers; all or nothing)", "Transfer")},
    "/pool": {"get": op("Unowned customers in the pools the caller may see (no contact details)", params=[q("page", "integer"), q("per_page", "integer"), q("pool_id", "string", "pool id or company"), q("q", "string", "name, pinyin, phone or e-mail: the first per_page matches (at most 50)")])},
    "/customers/{id}/claim": {"post": op("Claim a pool customer (409 if someone got it first; 422 claim_limit / claim_cooldown)", params=ID)},
    "/pools": {"get": op("Pool definitions with members"), "post": op("Create a pool (admin)", "PoolInput", "201")},
    "/pools/{id}": {"patch": op("Change a pool (admin; send version)", "PoolInput", params=ID)},
    "/pools/{id}/members": {"put": op("Replace a pool's members (admin or the pool's admins)", "Members", params=ID)},
    "/custom-fields": {"get": op("Custom field definitions"), "post": op("Define a custom field (admin)", "CustomField", "201")},
    "/custom-fields/{id}": {"patch": op("Rename, change choices or retire a custom field (admin)", "CustomFieldPatch", params=ID)},
    "/customers/groups": {"get": op("Customer counts per value of a custom field", params=[q("field")])},
    "/customers/{id}/dealer": {"put": op("Set dealer data (send version)", "Dealer", params=ID), "delete": op("Remove dealer data", params=ID + [q("version", "integer")])},
    "/dealers/stats": {"get": op("Number of dealers in scope and their average monthly sales")},
    "/customers/{id}/development-report": {"get": op("The new-customer development report", params=ID), "put": op("File or revise it (a revision clears the review)", "DevelopmentReport", params=ID)},
    "/customers/{id}/development-report/review": {"post": op("Review it (a superior of its author only)", "Review", params=ID)},
    "/opportunities": {"get": op("Opportunities in scope", params=[q("owner_id", "integer"), q("customer_id", "integer"), q("status", "string", "open, won, lost")]),
                       "post": op("Open an opportunity on a customer (it belongs to the customer's owner)", "Opportunity", "201")},
    "/opportunities/{id}": {"get": op("One opportunity", params=ID), "patch": op("Change an open opportunity (send version)", "OpportunityPatch", params=ID)},
    "/opportunities/{id}/won": {"post": op("Mark won (send version)", "Outcome", params=ID)},
    "/opportunities/{id}/lost": {"post": op("Mark lost with a reason (send version)", "Outcome", params=ID)},
    "/opportunities/{id}/reopen": {"post": op("Reopen a lost opportunity (send version)", "Outcome", params=ID)},
    "/pipeline": {"get": op("Open opportunities per stage: count, amount, weighted amount", params=[q("owner_id", "integer")])},
    "/visit-plans": {"get": op("Visit plans of people in scope", params=[q("user_id", "integer"), q("date", "string", "YYYY-MM-DD"), q("status", "string", "draft, submitted, approved, returned")]),
                     "post": op("Draft the caller's plan for a day", "NewPlan", "201")},
    "/visit-plans/{id}": {"get": op("One plan", params=ID), "put": op("Replace the items of a draft or returned plan (author; send version)", "EditPlan", params=ID)},
    "/visit-plans/{id}/submit": {"post": op("Submit to the supervisor; lateness is recorded (author)", "Step", params=ID)},
    "/visit-plans/{id}/approve": {"post": op("Approve (a superior of the author)", "Step", params=ID)},
    "/visit-plans/{id}/return": {"post": op("Return with a comment (a superior of the author)", "Step", params=ID)},
    "/visit-plans/{id}/amend": {"post": op("Amend an approved plan: a new draft revision (author)", params=ID, ok="201")},
    "/escalations": {"post": op("File a market situation or complaint report; it reaches every superior at once (and by e-mail when SMTP is configured)", "Escalation", "201")},
    "/escalations/{id}": {"get": op("A report the caller wrote or received", params=ID)},
    "/inbox": {"get": op("The caller's inbox with the unread count")},
    "/inbox/{id}/read": {"post": op("Mark an inbox item read", params=ID)},
    "/daily-reports": {"get": op("Daily reports in scope", params=[q("user_id", "integer"), q("unreviewed", "boolean")])},
    "/daily-reports/prefill": {"get": op("The caller's visits and outcomes on a day, to prefill the report", params=[q("date", "string", "YYYY-MM-DD")])},
    "/daily-reports/by-date/{date}": {"put": op("File or revise the caller's report for a day (until reviewed); empty visits are taken from logged activities", "DailyReport",
                                                 params=[{"name": "date", "in": "path", "required": True, "schema": {"type": "string"}}])},
    "/daily-reports/{id}": {"get": op("One report", params=ID)},
    "/daily-reports/{id}/review": {"post": op("Comment on a report (a superior of its author)", "Review", params=ID)},
    "/products": {"get": op("The price list (all=true includes retired products)", params=[q("all", "boolean")]),
                  "post": op("Add a product (admin, director, clerk)", "NewProduct", "201")},
    "/products/{id}": {"get": op("One product", params=ID), "patch": op("Change a product (admin, director, clerk; send version)", "Product", params=ID)},
    "/orders": {"get": op("Orders in scope, newest first (open=true: unsettled, oldest due first)", params=[q("customer_id", "integer"), q("owner_id", "integer"), q("month", "string", "YYYY-MM, company time"), q("open", "boolean")]),
                "post": op("Place an order; lines are priced from the price list; the total always equals the lines", "NewOrder", "201")},
    "/orders/{id}": {"get": op("One order with lines, payments, paid and receivable", params=ID)},
    "/orders/{id}/payments": {"post": op("Record a deposit, payment or refund (first deposit wins a unique item: 422 item_taken)", "PaymentInput", params=ID)},
    "/orders/{id}/delivery": {"post": op("Set the delivery status (pending, partial, delivered, returned); send the version you read", "Delivery", params=ID)},
    "/receivables": {"get": op("Unsettled orders in scope with overdue ageing today, totals per ageing bucket and per customer", params=[q("owner_id", "integer")])},
    "/ledgers/sales": {"get": op("The month's sales ledger: orders, totals, and sales per salesperson", params=[q("month", "string", "YYYY-MM; default this month")])},
    "/expense-advances": {"get": op("Expense advances and settlements of people in scope, with balances per person", params=[q("user_id", "integer")]),
                          "post": op("Record an advance or a settlement (clerk, admin, director; a settlement cannot exceed the balance: 422 over_settlement)", "AdvanceInput", "201")},
    "/weekly-reports": {"get": op("Weekly reports of supervisors in scope, newest week first", params=[q("week", "string", "any day of the week, YYYY-MM-DD")]),
                        "post": op("Compile (or re-compile) a team's weekly report; a supervisor for their own team, admin/director for supervisor_id", "CompileWeekly", "201")},
    "/weekly-reports/{id}": {"get": op("One weekly report with team and per-salesperson figures (definitions: docs/reports.md)", params=ID),
                             "patch": op("The supervisor writes next week's goals and plans; send version", "WeeklyGoals", params=ID)},
    "/reports/monthly": {"get": op("Monthly summary for directors: company and per-supervisor team figures (admin, director)", params=[q("month", "string", "YYYY-MM; default this month")])},
    "/dashboard": {"get": op("The dashboard's figures for a level: today (own plan, due contacts, month-to-date attainment), week (team attainment, plans and reports to review, receivables by ageing), month (teams, pipeline, ownership moves), results (year to date, twelve-month trend); all within the caller's scope", params=[q("view", "string", "today, week, month or results; default by role")])},
    "/statistics": {"get": op("Statistics: the period's sales, orders, buying customers, new customers, collections, visits and conversion per group, within the caller's scope; items are the groups, total all of them", params=[q("period", "string", "2026-11, 2026-Q4 or 2026; default this month"), q("from", "string", "YYYY-MM-DD, with to"), q("to", "string", "YYYY-MM-DD inclusive; at most three years"), q("group_by", "string", "owner, team, region, industry, source, tier, man_class, key_account, dealer, product, category, month"), q("indicators", "string", "comma-separated: sales, gross_margin, orders, customers, new_customers, collected, visits, conversion"), q("owner_id", "integer"), q("team_id", "integer"), q("region"), q("industry"), q("source"), q("tier"), q("man_class", "string", "MAN, MAn, …"), q("key_account", "string", "core, core_potential, secondary, general"), q("dealer", "boolean"), q("product_id", "integer"), q("category"), q("cf.<key>", "string", "an admin-defined card field's value (one parameter per field)")])},
    "/segments": {"get": op("Saved customer-list filters the caller may use: their own and their team's shared ones"), "post": op("Save a filter (name, query, shared); members are computed when used, within the user's scope")},
    "/segments/{id}": {"delete": op("Delete one of one's own segments (404 for anyone else's)")},
    "/tickets": {"get": op("Service tickets the caller reaches (customer's owner, assignee or filer in scope), open ones first by resolution deadline; filters status, open=1, overdue=1, severity, category, assignee_id (or me), customer_id, limit, offset"), "post": op("File a ticket (customer_id, category complaint|after_sales|inquiry, severity critical|high|normal|low, subject, description, product_id, order_id, assignee_id); deadlines from the service settings")},
    "/tickets/{id}": {"get": op("A ticket and its history")},
    "/tickets/{id}/steps": {"post": op("Take a step (step start|reply|resolve|close|reopen|assign, body, assignee_id, version); 422 ticket_step_not_allowed, 409 on a stale version")},
    "/service-settings": {"get": op("Response and resolution hours per severity, days to the return visit after delivery and after resolution"), "put": op("Replace the service settings (admin); every deadline 1–8760 hours, response no later than resolution")},
    "/return-visits": {"get": op("Return visits due within within_days (default 7) on customers in scope, most overdue first")},
    "/return-visits/{id}": {"post": op("Record a return visit (result satisfied|neutral|dissatisfied|unreachable, summary): logged as a call; unreachable keeps it due; 422 return_visit_done when already recorded")},
    "/surveys": {"get": op("The company's satisfaction questionnaires, those in use first"), "post": op("Write a questionnaire (directors, admins): name, questions as lines ('score: …', 'text?: …') or a list of {text, kind score|text, required}")},
    "/surveys/{id}": {"get": op("A questionnaire and its questions (keys q1, q2, …)")},
    "/surveys/{id}/active": {"post": op("Retire or resume a questionnaire (active, version)")},
    "/surveys/{id}/invitations": {"post": op("Make a one-time link for a customer in scope (customer_id, order_id, valid_days 1–90, default 14); answers 201 with the url, shown only this once")},
    "/surveys/{id}/responses": {"post": op("Record answers taken on the phone (customer_id, order_id, answers: {q1: '5', …}); a score is 1–5, required questions need an answer")},
    "/surveys/{id}/results": {"get": op("Results within scope by salesperson, product or customer (by=): answers, customers, average score (of 5), repeat purchase (% of customers with two or more orders), the lowest average first")},
    "/campaigns": {"get": op("Campaigns written by people in the caller's scope, with recipients by status"), "post": op("Write a draft (name, channel email|sms|letter, segment_id, subject for e-mail, body with merge fields such as {{customer.name}}, scheduled_at); 422 unknown_merge_field")},
    "/campaigns/{id}": {"get": op("A campaign with its recipients counted by status")},
    "/campaigns/{id}/recipients": {"get": op("Recipients (status=queued|sent|failed|opted_out|capped|no_address, limit, offset) with address and reason")},
    "/campaigns/{id}/preview": {"get": op("The subject and text one customer in scope would receive (customer_id)")},
    "/campaigns/{id}/launch": {"post": op("Launch a draft (version): the segment's members within the caller's scope become recipients, decided against opt-outs and the frequency cap; 422 channel_not_configured, campaign_launched")},
    "/campaigns/{id}/cancel": {"post": op("Stop a campaign: what is still queued is not sent")},
    "/campaigns/{id}/test": {"post": op("Queue one test message to oneself (e-mail: one's own address; SMS: phone); 202")},
    "/campaign-settings": {"get": op("The frequency cap and the SMS gateway (admin)"), "put": op("Replace them (admin): cap {messages 1–100, days 1–365}, sms {url, method POST|GET, body_template with {{phone}} and {{text}}, success_pointer, success_value, per_second}")},
    "/customers/{id}/opt-out": {"post": op("Record that a customer in scope refuses (opted_out: true) or again accepts campaign messages")},
    "/contacts/{id}/do-not-contact": {"post": op("Record that a contact may not be contacted by campaigns (do_not_contact)")},
    "/tasks": {"get": op("Tasks of a view (view=mine|given|team; overdue=1 for open ones past their time)"), "post": op("Give a task (assignee_id, title, place, plan, check, due_at, customer_id) to one's own report, or as the clerk a task notice; 422 not_your_report")},
    "/tasks/{id}": {"get": op("A task and its history (the assigner, the assignee and those above the assignee)")},
    "/tasks/{id}/steps": {"post": op("acknowledge, progress, complete (by the assignee; progress and complete need a body) or cancel (by the assigner), with the version read; 422 task_not_yours, task_step_not_allowed")},
    "/appeals": {"get": op("Appeals the caller filed or received, unanswered first"), "post": op("Appeal past one's own superior (to_id: someone above them, subject, reason, task_id); 422 not_skip_level")},
    "/appeals/{id}": {"get": op("An appeal (its appellant and the person appealed to only)")},
    "/customers/{id}/screenings": {"get": op("A customer's screenings, the latest first"), "post": op("Screen a customer: scores (every factor 1-5: volume, growth, margin, credit, strategic, product, service, location, relationship, competitor), note; the weighted scores set its matrix class; 201")},
    "/account-plans": {"get": op("Account plans within the caller's scope (year, status)"), "post": op("Start a key account's plan for a year (customer_id, year): core or core-potential customers only, its owner becomes the account manager; 201; 422 not_key_account, plan_exists")},
    "/account-plans/{id}": {"get": op("A plan with a revision (?revision=N, the latest by default), the list of revisions, evaluations and the account's facts (sales by year, products bought and not, tickets, action tasks)"), "put": op("Save the latest revision's content (text.<field>, last_year_result, this_year_goal, actions [{key, title, due_on}], version): the account manager, a draft only; 409 on a stale version; 422 revision_locked")},
    "/account-plans/{id}/steps": {"post": op("submit (manager), approve | return with a note (the manager's own superior), revise (manager: a new revision from a reviewed one); approval turns new actions into tasks")},
    "/account-plans/{id}/compare": {"get": op("Two revisions side by side (a, b), field by field with what changed")},
    "/account-plans/{id}/evaluations": {"post": op("Evaluate the account's management and the people (management_score, people_score 1-5, note): someone above the account manager; 201")},
    "/quotations": {"get": op("Quotations within the caller's scope (customer_id, status)"), "post": op("Quote a customer within one's scope (customer_id, lines [{product_id, quantity, discount_percent}] from the price list, valid_until, terms); 201; 422 unknown_product, mixed_currency")},
    "/quotations/{id}": {"get": op("A quotation with one version (?version=N, the current by default), its versions, the company's discount limit and whether the version goes over it"), "put": op("Change the current version while a draft (lines, valid_until, terms, version): its salesperson only; 409 on a stale version; 422 quotation_locked")},
    "/quotations/{id}/steps": {"post": op("submit (approved at once within the limit, else awaiting the salesperson's own superior), approve | return with a note (that superior), send, accept (makes the order at the quoted prices, due_date), decline, revise (a new version); 422 quotation_expired, not_discount_approver")},
    "/quotation-settings": {"get": op("The company's discount limit (%) and default validity (days)"), "put": op("Replace them (admin)")},
    "/objections": {"get": op("The objection library, the most often met first, each with its best answer (q searches objections and answers, product_id, stage, retired=1)"), "post": op("Add an objection (text, concern, product_id, stage): admin, director, supervisor; 201")},
    "/objections/{id}": {"get": op("An objection with its answers, the best first (uses, judged, worked, win_rate)"), "put": op("Rewrite or retire an objection (text, concern, product_id, stage, active, version): managers; 409 on a stale version")},
    "/objections/{id}/answers": {"post": op("Add a prepared answer (text): anyone; 201")},
    "/objections/{id}/answers/{answer}": {"delete": op("Retire an answer (kept with its record): managers; 204")},
    "/meetings": {"get": op("Meetings the caller organized, attended or oversees, the latest first"), "post": op("Call a morning, evening or weekly meeting of one's direct reports (kind, held_on within a week of today); 201; 422 no_team")},
    "/meetings/{id}": {"get": op("A meeting with each member's attendance and the period's figures (visits, orders, collections, escalations, daily report in) and its decisions"), "put": op("Record minutes and attendance (minutes, attendance [{user_id, status present|absent|by_report, note}], version): the organizer, while open; by_report needs the member's daily report of the period (422 no_report_for_period)")},
    "/meetings/{id}/decisions": {"post": op("A decision given as a task to a member (assignee_id, title, due_at, ...): the organizer; 201")},
    "/meetings/{id}/close": {"post": op("Close the meeting (version): minutes and attendance no longer change")},
    "/joint-visits": {"get": op("Joint visits the caller joined, was joined on, or oversees (salesperson_id); to review first"), "post": op("Join a visit of a report's submitted or approved plan (plan_id, item: the visit's index); 201; 422 not_above_salesperson, plan_not_submitted, visit_passed, already_joined")},
    "/joint-visits/{id}": {"get": op("A joint visit with its review and the salesperson's linked visit log")},
    "/joint-visits/{id}/review": {"post": op("The joining superior's review from the visit's day, once (strengths, corrections, score 1-5, version); links the salesperson's visit that day")},
    "/coaching-notes": {"get": op("A person's coaching notes (person_id): those above the person only"), "post": op("Add a coaching note (person_id, kind new|weak|general, note): someone above the person; 201")},
    "/webhooks": {"get": op("Webhooks and group robots of the company, with the subscribable event names (admin)"), "post": op("Add an endpoint (name, url, format json|wecom|dingtalk|feishu, events, team_head_id, locale, secret for DingTalk/Feishu robots, allow_private): admin; 201 with a plain webhook's signing secret, shown once; 422 url_not_http, url_private, unknown_event, secret_not_used", ok="201")},
    "/webhooks/{id}": {"get": op("One endpoint (pending and failed counts, failures in a row, paused_at)", params=ID), "put": op("Rewrite an endpoint (as on creation, with version); 409 on a stale version, 422 format_fixed when a webhook would turn into a robot", params=ID), "delete": op("Remove an endpoint; its log is kept; 204", ok="204", params=ID)},
    "/webhooks/{id}/deliveries": {"get": op("The delivery log, newest first (status=pending|delivered|failed, limit ≤ 500): event, data, attempts, next attempt, the receiver's status and answer", params=ID + [q("status"), q("limit", "integer")])},
    "/webhooks/{id}/deliveries/{delivery}/redeliver": {"post": op("Send a delivery again, as a new delivery of the same event and data; 202", ok="202", params=ID + [{"name": "delivery", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64"}}])},
    "/webhooks/{id}/pause": {"post": op("Pause an endpoint: events still queue, nothing is sent", params=ID)},
    "/webhooks/{id}/resume": {"post": op("Resume an endpoint: its failure count starts afresh and what waited is sent at once", params=ID)},
    "/webhooks/{id}/ping": {"post": op("Queue a test message to the endpoint; 202 with its delivery id", ok="202", params=ID)},
    "/calendar-feed": {"get": op("The caller's calendar subscription, if on (include_team, created_at)"), "post": op("Create or renew it (include_team: a superior's feed carries the team's approved visits); 201 with the secret URL, shown once; the old URL stops working"), "delete": op("Stop it; 204, or 404 when none")},
    "/customers/{id}/contacts.vcf": {"get": op("A customer's contacts as vCards for phones and Outlook (version=3.0 default, or 4.0): those who may export, within their scope; recorded on the audit trail")},
    "/contacts/export": {"get": op("Every contact of the customers in the caller's scope as CSV (customer, name, title, phone, e-mail, decision maker, notes): the customer export's permission; recorded on the audit trail")},
    "/orders/export": {"get": op("Every order in the caller's scope as CSV (number, customer, owner, total, paid, receivable, currency, due date, placed at in the caller's zone): the customer export's permission; recorded on the audit trail")},
    "/activities/export": {"get": op("Every follow-up on the live customers in the caller's scope as CSV (customer, kind, by whom, when in the caller's zone, summary, outcome, next step, place, reached, purpose, minutes): the customer export's permission; recorded on the audit trail")},
    "/key-accounts": {"get": op("The screening matrix within the caller's scope: each quadrant's total, best-scored customers and the company's strategy")},
    "/screening-settings": {"get": op("The company's screening weights, threshold and strategies"), "put": op("Replace them (admin): each side's weights add up to 100; 422 weights_not_100")},
    "/appeals/{id}/answer": {"post": op("Answer an appeal sent to oneself, once (answer); 422 appeal_not_yours")},
    "/picklists": {"get": op("The company's lists for region, industry and source (a field without a list is free text)"), "put": op("Replace the lists (admin): field → values; 其他 is always allowed")},
    "/statistics/indicators": {"get": op("The indicators the company shows by default"), "put": op("Set the company's default indicators (admin); blank shows all", "StatisticsIndicators")},
    "/statistics/export": {"get": op("The same table as CSV or Excel (export permission; recorded on the audit trail)", params=[q("format", "string", "csv or xlsx"), q("period"), q("group_by"), q("indicators")])},
    "/funnel": {"get": op("The prospecting funnel per person or team and in total: calls, reached, appointments, presentations, deals, revenue, conversion at each step, sales and commission per call; selling time, sales per hour, expenses and sales per yuan of expense", params=[q("period", "string", "2026-11, 2026-Q4 or 2026; default this month"), q("group_by", "string", "owner or team"), q("commission_percent", "string", "e.g. 5; gives commission per call")])},
    "/economics": {"get": op("Customer economics for a period against the one before: churn with the churned customers, partial defectors (share of the customer's category spending fell), repeat-purchase rate, top and bottom deciles, lifetime value per customer and per segment. Each list of customers holds its first 20 (churned_total, partial_defectors_total, lifetime_values_total and the deciles' customers count them all; /economics/customers pages through them)", params=[q("period", "string", "2026, 2026-Q4 or 2026-11; default this year"), q("segment_by", "string", "owner, region, industry, source, tier, dealer, man_class, key_account"), q("discount_percent", "string", "yearly discount rate for lifetime value; default 10")])},
    "/economics/customers": {"get": op("One page of a list behind the economics figures, named and in the list's order: churned (largest lost revenue first), partial_defectors (largest fall of share first), top and bottom (the deciles; bottom lowest revenue first) or lifetime_values (highest first). The report itself carries the first 20 of each list and each list's total.", params=[q("list", "string", "churned, partial_defectors, top, bottom or lifetime_values"), q("period", "string", "as for /economics"), q("segment_by", "string", "as for /economics"), q("discount_percent", "string", "as for /economics"), q("page", "integer"), q("per_page", "integer", "1..200, default 50")])},
    "/customers/{id}/spend-estimates": {"get": op("The customer's estimated yearly spending in our category, newest year first", params=ID)},
    "/customers/{id}/spend-estimates/{year}": {"put": op("Set (or with a blank amount remove) the estimate for a year; recorded on the audit trail", "SpendEstimate", params=ID + [{"name": "year", "in": "path", "required": True, "schema": {"type": "integer"}}])},
    "/targets": {"get": op("The year's target plan within the caller's scope: lines (items), gaps in the breakdown, version and latest publication", params=[q("year", "integer", "default this year"), q("measure", "string", "revenue, gross_margin, collected, new_customers, new_dealers, effective_visits"), q("category"), q("region")])},
    "/targets/{year}": {"patch": op("Save figures into the year's draft (blank amount removes one); all or nothing; a supervisor for the people below only (422 outside_team); send the plan's version (0 for a new year)", "TargetSave", params=[{"name": "year", "in": "path", "required": True, "schema": {"type": "integer"}}])},
    "/targets/{year}/publish": {"post": op("Publish the draft as the targets attainment is measured against (admin, director); 422 breakdown_gaps unless accept_difference", "TargetPublish", "201", params=[{"name": "year", "in": "path", "required": True, "schema": {"type": "integer"}}])},
    "/targets/{year}/publications": {"get": op("Every publication of the year, newest first", params=[{"name": "year", "in": "path", "required": True, "schema": {"type": "integer"}}])},
    "/targets/attainment": {"get": op("Targets against actuals for each salesperson in scope and in total (definitions: /targets/attainment page)", params=[q("period", "string", "2026-11, 2026-Q4 or 2026; default this month")])},
    "/absences": {"get": op("Who is away on a day or later (everyone may read it: colleagues cover for them)", params=[q("on", "string", "YYYY-MM-DD; default today")]), "post": op("Register an absence: one's own, or (user_id) of someone below the caller", "Absence", "201")},
    "/act-for/{owner_id}/customers": {"get": op("The absent owner's customers and open orders, for one who may cover for them (a colleague with the same superior, a manager above, the clerk, a director): 422 owner_not_away / outside_scope otherwise. Sign with POST /orders and take money with POST /orders/{id}/payments, each with acting_for", params=[{"name": "owner_id", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64"}}])},
    "/referrals": {"get": op("Referrals by customers in the caller's scope, newest first"), "post": op("Register a referral by a customer in scope: the person to come (referred_name, referred_phone) or, when brought in person, an existing customer (referred_id); 422 registered_after when the customer was registered before the referral and not brought in person", "NewReferral", "201")},
    "/referrals/{id}/link": {"post": op("Link a registered referral to the customer the person became (422 registered_after, already_referred, already_linked)", "LinkReferral", params=ID)},
    "/budgets": {"get": op("This month's (or the given month's) sales and expense budget of each team in scope, with the team's sales, expenses, percentages and sales per yuan of expense", params=[q("month", "string", "2026-10; default this month")])},
    "/budgets/{month}/{supervisor_id}": {"put": op("Set a team's budget for the month (admin, director); blank removes a figure; send the stored version (0 for a new one)", "Budget", params=[{"name": "month", "in": "path", "required": True, "schema": {"type": "string"}}, {"name": "supervisor_id", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64"}}])},
    "/pay-plans": {"get": op("Pay plans by the month they take effect (admin, director, supervisor)")},
    "/pay-plans/{month}": {"put": op("Save the plan that takes effect in the month (admin, director): base salary (and per person), the process part and its items (weights add up to 100), commission rates by category and attainment steps; send the stored plan's version (none or 0 for a new month); 422 month_closed for a closed month or one before it", "PayPlan", params=[{"name": "month", "in": "path", "required": True, "schema": {"type": "string"}, "description": "2026-10"}])},
    "/pay-sheets": {"get": op("The month's pay sheets the caller sees (own; a supervisor's team; everyone for directors), each computed from the month's data until the month is closed", params=[q("month", "string", "2026-10; default last month")])},
    "/pay-sheets/export": {"get": op("The month's sheets as Excel or CSV (export and review permissions; recorded on the audit trail)", params=[q("month"), q("format", "string", "xlsx or csv")])},
    "/pay-sheets/{month}/{user_id}": {"get": op("One pay sheet: base, each process item with what was counted, each commission line (order, category, basis, rate, why credited), rewards and penalties, total", params=[{"name": "month", "in": "path", "required": True, "schema": {"type": "string"}}, {"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64"}}])},
    "/pay-sheets/{month}/{user_id}/review": {"post": op("The supervisor (or a director) reviews a team member's sheet", params=[{"name": "month", "in": "path", "required": True, "schema": {"type": "string"}}, {"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64"}}])},
    "/pay-sheets/{month}/{user_id}/approve": {"post": op("A director approves a reviewed sheet (422 not_reviewed)", params=[{"name": "month", "in": "path", "required": True, "schema": {"type": "string"}}, {"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64"}}])},
    "/pay-sheets/{month}/{user_id}/adjustments": {"post": op("Enter a reward (positive) or penalty (negative) with its reason; the sheet is reviewed again; 422 month_closed once closed", "PayAdjustment", "201", params=[{"name": "month", "in": "path", "required": True, "schema": {"type": "string"}}, {"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64"}}])},
    "/pay-months/{month}/close": {"post": op("Close the month's pay (admin, director): every sheet approved (422 not_approved), the month over (422 month_not_over); sheets are frozen", params=[{"name": "month", "in": "path", "required": True, "schema": {"type": "string"}, "description": "2026-10"}])},
    "/audit": {"get": op("Audit trail, newest first (admin, director)", params=[q("entity"), q("entity_id", "integer"), q("page", "integer")])},
    "/openapi.json": {"get": {**op("This document"), "security": []}},
}


def obj(required=(), **props):
    o = {"type": "object", "properties": props}
    if required:
        o["required"] = list(required)
    return o


S = {"type": "string"}
I = {"type": "integer", "format": "int64"}
B = {"type": "boolean"}
NI = {**I, "nullable": True}
ANY = {"type": "object", "additionalProperties": True}

SCHEMAS = {
    "Error": obj(error=obj(code=S, message=S, field={"type": "string", "nullable": True}, duplicates={"type": "array", "items": ANY})),
    "Login": obj(("username", "password"), username=S, password=S),
    "MeUpdate": obj(display_name=S, locale={"type": "string", "enum": ["zh-CN", "en"]}, email={"type": "string", "description": "for notifications; empty removes it"}, current_password=S, new_password=S),
    "NewUser": obj(("username", "password", "display_name", "role"), username=S, password=S, display_name=S,
                   role={"type": "string", "enum": ["admin", "director", "supervisor", "sales", "clerk"]}, superior_id=NI),
    "UserPatch": obj(display_name=S, role=S, superior_id=NI, password=S, locale=S, email=S, version=I),
    "Deactivate": obj(handover_to=NI),
    "OrgSettings": obj(("version",), protection_days=I, clerk_visibility={"type": "string", "enum": ["all", "subtree", "own"]},
                       claim_daily_limit=I, holding_cap=I, reclaim_cooldown_days=I, warning_days=I,
                       exempt_open_opportunity=B, exempt_with_deal=B, holding_cap_counts_deals=B, sales_may_import=B, no_opportunity_days=I, no_deal_days=I,
                       no_opportunity_days_by_tier=obj(priority=NI, general=NI, last=NI), no_deal_days_by_tier=obj(priority=NI, general=NI, last=NI), version=I),
    "CustomerInput": obj(("name",), kind={"type": "string", "enum": ["company", "individual"]}, name=S, phone=S, email=S, address=S,
                         region=S, industry=S, source=S, notes=S, owner_id=I, profile=ANY, custom=ANY),
    "CustomerPatch": obj(("version",), kind=S, name=S, phone=S, email=S, address=S, region=S, industry=S, source=S, notes=S, profile=ANY, custom=ANY, version=I),
    "ContactInput": obj(("name",), name=S, title=S, phone=S, email=S, is_decision_maker=B, notes=S,
                        relation={"type": "string", "enum": ["spouse", "parent", "child"]}),
    "ContactPatch": obj(("version",), name=S, title=S, phone=S, email=S, is_decision_maker=B, notes=S, relation=S, version=I),
    "ActivityInput": obj(("kind", "summary"), kind={"type": "string", "enum": ["call", "visit", "email", "meeting"]}, summary=S,
                         outcome=S, next_step=S, location=S,
                         reached={"type": "boolean", "description": "calls only: the person called was reached (funnel step)"},
                         purpose={"type": "string", "enum": ["appointment", "presentation", "closing", "service", "other"], "description": "visits and meetings only"},
                         duration_minutes={"type": "integer", "description": "calls, visits, meetings: 1 to 1440; selling time"},
                         latitude={"type": "number", "description": "the check-in position, with longitude: both or neither"},
                         longitude={"type": "number", "description": "the check-in position, with latitude"},
                         objections={"type": "array", "description": "objections met, each with the answer given and whether it worked", "items": obj(("objection_id",), objection_id=I, answer_id=I, worked=B)},
                         objection={"type": "string", "description": "as the page's form sends it: one objection, `id` or `id:answer_id` (the API's list is objections)"},
                         objection_worked={"type": "string", "description": "with objection: true or false"}),
    "Qualification": obj(("version",), man_money=B, man_authority=B, man_need=B, attractiveness={"type": "string", "enum": ["high", "low"]},
                         ability_to_win={"type": "string", "enum": ["high", "low"]}, tier={"type": "string", "enum": ["priority", "general", "last"]}, version=I),
    "MergeRequest": obj(("merged_id",), merged_id=I),
    "Reason": obj(("reason",), reason=S),
    "Transfer": obj(("customer_ids", "to_user_id", "reason"), customer_ids={"type": "array", "items": I}, to_user_id=I, reason=S),
    "PoolInput": obj(name=S, region=S, protection_days=I, priority_days=I, general_days=I, last_days=I, active=B, version=I),
    "Members": obj(("members",), members={"type": "array", "items": obj(("user_id",), user_id=I, is_admin=B)}),
    "CustomField": obj(("key", "label", "kind"), key=S, label=S, kind={"type": "string", "enum": ["text", "number", "date", "yes_no", "choice"]},
                       choices={"type": "array", "items": S}),
    "CustomFieldPatch": obj(label=S, choices={"type": "array", "items": S}, active=B),
    "Dealer": obj(("version",), credit_rating={"type": "string", "enum": ["A", "B", "C", "D"]}, credit_limit=S, payment_terms_days=S,
                  contract_no=S, contract_start=S, contract_end=S, technical_assistance=S, average_monthly_sales=S, version=I),
    "DevelopmentReport": obj(("developed_on",), developed_on=S, first_order_date=S, first_order_amount=S, products=S, expected_monthly_sales=S,
                             competitors=S, how_developed=S, difficulties=S, next_steps=S),
    "Review": obj(comment=S),
    "Opportunity": obj(("customer_id", "name"), customer_id=I, name=S,
                       stage={"type": "string", "enum": ["prospecting", "appointment", "presentation", "closing", "after_sales"]},
                       amount=S, currency=S, probability=I, expected_close=S),
    "OpportunityPatch": obj(("version",), name=S, stage=S, amount=S, currency=S, probability=I, expected_close=S, version=I),
    "Outcome": obj(("version",), version=I, reason=S),
    "PlanItem": obj(("customer_name", "start", "end", "purpose"), customer_id=I, customer_name=S, region=S, start=S, end=S,
                    purpose={"type": "string", "enum": ["develop_new_customer", "market_research", "collect_payment", "service", "complaint_handling", "order", "other"]}, notes=S),
    "NewPlan": obj(("plan_date",), plan_date=S, items={"type": "array", "items": {"$ref": "#/components/schemas/PlanItem"}}),
    "EditPlan": obj(("version",), items={"type": "array", "items": {"$ref": "#/components/schemas/PlanItem"}}, version=I),
    "Step": obj(("version",), version=I, comment=S),
    "DailyReport": obj(attendance={"type": "string", "enum": ["present", "field", "leave"]},
                       visits={"type": "array", "items": obj(customer_id=I, customer_name=S, outcome=S)}, complaints_handled=S,
                       payment_collected=S, order_amount=S, target_amount=S, competitor_info=S, customer_opinions=S, customer_news=S,
                       lessons=S, expenses=S),
    "Product": obj(code=S, name=S, unit=S, price=S, currency=S, unique_item=B, active=B, cost={"type": "string", "description": "unit cost, the base of gross margin; shown only to those who keep the price list"}, category={"type": "string", "description": "product category for targets and statistics"}, version=I),
    "NewOrder": obj(("customer_id", "lines"), customer_id=I, due_date={"type": "string", "description": "YYYY-MM-DD; default 30 days after today"}, lines={"type": "array", "items": obj(("product_id", "quantity"), product_id=I, quantity=S, unit_price=S)}, acting_for={**I, "description": "sign for this absent owner (see /act-for/{owner_id}/customers); the order is theirs"}),
    "PaymentInput": obj(("kind", "amount"), kind={"type": "string", "enum": ["deposit", "payment", "refund"]}, amount=S, note=S, acting_for={**I, "description": "taken for this absent owner; the money and the commission right stay theirs"}),
    "Delivery": obj(("status",), status={"type": "string", "enum": ["pending", "partial", "delivered", "returned"]}, version=I),
    "AdvanceInput": obj(("user_id", "kind", "amount", "purpose"), user_id=I, kind={"type": "string", "enum": ["advance", "settlement"]}, amount=S, purpose=S, occurred_on=S),
    "CompileWeekly": obj(week_start={"type": "string", "description": "any day of the week; default last week"}, supervisor_id=I),
    "WeeklyGoals": obj(next_week_goals=S, version=I),
    "StatisticsIndicators": obj(indicators={"type": "string", "description": "comma-separated: sales, gross_margin, orders, customers, new_customers, collected, visits, conversion"}),
    "SpendEstimate": obj(amount={"type": "string", "nullable": True, "description": "CNY; blank or null removes the estimate"}),
    "TargetLine": obj(("measure", "period"), measure={"type": "string", "enum": ["revenue", "gross_margin", "collected", "new_customers", "new_dealers", "effective_visits"]}, assignee_id={**NI, "description": "null: the company"}, period={"type": "string", "description": "2027, 2027-Q1 or 2027-03"}, category={"type": "string", "nullable": True}, region={"type": "string", "nullable": True}, dealer_id={**NI, "description": "a dealer (customer id): that dealer's purchases (revenue, gross_margin, collected); dealer targets may add up to less than the whole, never more"}, amount={"type": "string", "nullable": True, "description": "blank or null removes the line"}),
    "TargetSave": obj(("version", "lines"), version=I, lines={"type": "array", "items": {"$ref": "#/components/schemas/TargetLine"}}),
    "TargetPublish": obj(("version",), version=I, accept_difference=B, note=S),
    "Absence": obj(("starts_on", "ends_on"), user_id=I, starts_on={"type": "string", "format": "date"}, ends_on={"type": "string", "format": "date"}, note=S),
    "NewReferral": obj(("referrer_id",), referrer_id=I, referred_id=I, referred_name=S, referred_phone=S, brought_in_person=B, note=S),
    "LinkReferral": obj(("customer_id",), customer_id=I),
    "Budget": obj(("version",), sales={"type": "string", "nullable": True}, expenses={"type": "string", "nullable": True}, version=I),
    "PayPlan": obj(("base_salary", "process_amount", "default_rate_percent"), version=I, base_salary=S, base_by_person={"type": "object", "additionalProperties": S, "description": "user id → base salary"}, process_amount=S, process_items={"type": "array", "items": obj(("measure", "weight_percent"), measure={"type": "string", "enum": ["complete_cards", "cadence_kept", "plans_on_time", "reports_on_time", "reports_complete", "weekly_targets_met"]}, weight_percent=S, norm={**I, "description": "complete_cards: cards a month for the full score"})}, default_rate_percent=S, referral_reward={"type": "string", "description": "paid to the referring customer's owner per referral that counts, in the month of the new customer's first deposit"}, category_rates={"type": "array", "items": obj(("category", "rate_percent"), category=S, rate_percent=S)}, product_rates={"type": "array", "description": "a product's own rate, ahead of its category's", "items": obj(("product_id", "rate_percent"), product_id=I, rate_percent=S)}, steps={"type": "array", "items": obj(("from_percent", "multiplier_percent"), from_percent=S, multiplier_percent=S)}),
    "PayAdjustment": obj(("amount", "reason"), amount={"type": "string", "description": "CNY; negative for a penalty"}, reason=S),
    "Escalation": obj(("kind", "subject", "body"), kind={"type": "string", "enum": ["market_situation", "complaint"]}, subject=S, body=S, customer_id=I),
}

PATHS["/auth/login"]["post"]["responses"]["429"] = ERR
# A new product has no version yet.
SCHEMAS["NewProduct"] = {**SCHEMAS["Product"], "properties": {k: v for k, v in SCHEMAS["Product"]["properties"].items() if k != "version"}}

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def declare_files():
    """Operations that answer a file: their media types (the JSON answers' bodies come from the
    handlers' types)."""
    files = {
        ("/customers/export", "get"): [CSV, XLSX],
        ("/contacts/export", "get"): [CSV],
        ("/orders/export", "get"): [CSV],
        ("/activities/export", "get"): [CSV],
        ("/statistics/export", "get"): [CSV, XLSX],
        ("/pay-sheets/export", "get"): [XLSX, CSV],
        ("/customers/{id}/contacts.vcf", "get"): ["text/vcard"],
    }
    for (path, method), media in files.items():
        binary = {"type": "string", "format": "binary"}
        PATHS[path][method]["responses"]["200"]["content"] = {m: {"schema": binary if m == XLSX else {"type": "string"}} for m in media}
    PATHS["/openapi.json"]["get"]["responses"]["200"]["content"] = {"application/json": {"schema": {"type": "object", "description": "OpenAPI 3.1"}}}
    # An import that rejections stopped answers 422 with its outcome (nothing was written),
    # other refusals with the usual error.
    for path, outcome in [("/customers/import", "ImportOutcome"), ("/contacts/import", "RecordOutcome"),
                          ("/activities/import", "RecordOutcome"), ("/orders/import", "RecordOutcome")]:
        PATHS[path]["post"]["responses"]["422"] = {"description": "Refused: the error, or the outcome of an import that rejected rows stopped", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/Error"}, {"$ref": f"#/components/schemas/{outcome}"}]}}}}


declare_files()


def declare_path_params():
    """Every {name} in a path is a required path parameter: integers for ids, text otherwise
    (a month, a date, a year, a token)."""
    import re
    for path, ops in PATHS.items():
        names = re.findall(r"\{([^}]+)\}", path)
        for o in ops.values():
            declared = {p["name"] for p in o.get("parameters", []) if p.get("in") == "path"}
            for n in names:
                if n in declared:
                    continue
                integer = n == "id" or n.endswith("_id") or n in ("answer", "delivery", "person", "revision", "item", "version", "year")
                schema = {"type": "integer", "format": "int64"} if integer else {"type": "string"}
                o.setdefault("parameters", []).append({"name": n, "in": "path", "required": True, "schema": schema})


declare_path_params()


def declare_no_content():
    """A removal answers 204 No Content (some answer 200 with what remains)."""
    for ops in PATHS.values():
        if "delete" in ops:
            ops["delete"]["responses"].setdefault("204", {"description": "Removed"})


declare_no_content()

def openapi_31(node):
    """OpenAPI 3.1 schemas are JSON Schema: a nullable value is a type list with "null" (the
    generated response schemas are written that way too)."""
    if isinstance(node, dict):
        node = {k: openapi_31(v) for k, v in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [openapi_31(v) for v in node]
    return node


DOC = {
    "openapi": "3.1.0",
    "info": {"title": "Yingpan API", "version": "1",
             "description": "营盘 CRM. UTF-8 JSON. Errors: {\"error\": {\"code\", \"message\", \"field\"}} (internal errors add \"request_id\"; every response carries X-Request-Id). Requests made with the web session cookie instead of a bearer token must send the session's CSRF token in X-CSRF-Token for POST, PATCH, PUT and DELETE. Lists: {\"items\", \"total\"}. Amounts are decimal strings."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "responses": {"Error": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        "schemas": SCHEMAS,
    },
}

out = pathlib.Path(__file__).resolve().parent.parent / "crates" / "web" / "openapi.json"
DOC = openapi_31(DOC)
out.write_text(json.dumps(DOC, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
print(f"wrote {out}")
