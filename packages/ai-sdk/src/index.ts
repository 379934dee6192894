export type { ChatSummary, SaveChatOptions, SaveChatResult } from "./chats.js";
export { deleteChat, getActiveStreamId, listChats, loadChat, saveChat, setActiveStreamId } from "./chats.js";
