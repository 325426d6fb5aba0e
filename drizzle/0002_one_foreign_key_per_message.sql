ALTER TABLE "messages" DROP CONSTRAINT "messages_session_id_whatsapp_sessions_id_fk";
--> statement-breakpoint
ALTER TABLE "messages" DROP CONSTRAINT "messages_chat_id_chats_id_fk";
--> statement-breakpoint
ALTER TABLE "messages" DROP CONSTRAINT "messages_company_id_companies_id_fk";
--> statement-breakpoint
DROP INDEX "messages_sent_by_user_id_idx";--> statement-breakpoint
ALTER TABLE "chats" ADD CONSTRAINT "chats_id_session_company_key" UNIQUE("id","session_id","company_id");--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_chat_fk" FOREIGN KEY ("chat_id","session_id","company_id") REFERENCES "public"."chats"("id","session_id","company_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "messages_sent_by_user_id_idx" ON "messages" USING btree ("sent_by_user_id") WHERE "messages"."sent_by_user_id" is not null;
