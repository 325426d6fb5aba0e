DROP INDEX "chats_list_idx";--> statement-breakpoint
DROP INDEX "messages_chat_list_idx";--> statement-breakpoint
CREATE INDEX "chats_list_idx" ON "chats" USING btree ("session_id","archived","last_activity_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "messages_chat_list_idx" ON "messages" USING btree ("chat_id","timestamp" DESC NULLS FIRST,"id" DESC NULLS FIRST);