// The one contract instance the renderer uses.
import { connectApi } from './connect.js';

export const api = connectApi();
