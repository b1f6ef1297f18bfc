import { OrdersTable } from "@/components/orders-table"

export default function Page() {
  return <OrdersTable />
}
