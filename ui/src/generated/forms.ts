// Generated from gjj_client::app::form_fields() by tests/tests/ui_types.rs: do not edit.
// After changing a form's fields run `GJJ_WRITE_UI_TYPES=1 cargo test -p gjj-tests --test ui_types`.
import type { FieldDef } from "../forms/types";

export const FORM_FIELDS = {
  "building": [
    {
      "key": "project_id",
      "label": "项目编号",
      "kind": "select",
      "options": {
        "projects": "active"
      }
    },
    {
      "key": "building_no",
      "label": "楼栋号",
      "kind": "text",
      "placeholder": "如 1栋"
    },
    {
      "key": "presale_permit",
      "label": "预售许可证号",
      "kind": "text"
    },
    {
      "key": "unit_count",
      "label": "单元数",
      "kind": "integer"
    },
    {
      "key": "floor_count",
      "label": "层数",
      "kind": "integer"
    },
    {
      "key": "completion_date",
      "label": "竣工日期",
      "kind": "date"
    },
    {
      "key": "loan_ratio",
      "label": "贷款比例",
      "kind": "percent",
      "placeholder": "如 70（表示 70%）"
    },
    {
      "key": "note",
      "label": "备注",
      "kind": "text",
      "optional": true
    },
    {
      "key": "houses_file",
      "label": "户清单",
      "kind": "file",
      "extensions": [
        "xlsx",
        "xls",
        "et",
        "ods",
        "xml"
      ],
      "placeholder": "填好的户清单表格路径",
      "template": "building",
      "sheet": true
    }
  ],
  "contributor_change": [
    {
      "key": "name",
      "label": "姓名",
      "kind": "text",
      "columns": [
        "新姓名"
      ]
    },
    {
      "key": "id_type",
      "label": "证件类型",
      "kind": "select",
      "columns": [
        "新证件类型"
      ],
      "options": {
        "codeTable": "id_type"
      }
    },
    {
      "key": "id_number",
      "label": "证件号码",
      "kind": "text",
      "columns": [
        "新证件号码"
      ]
    },
    {
      "key": "sex",
      "label": "性别",
      "kind": "select",
      "columns": [
        "新性别"
      ],
      "options": {
        "codeTable": "sex"
      },
      "optional": true
    },
    {
      "key": "birth_month",
      "label": "出生年月",
      "kind": "month",
      "columns": [
        "新出生年月"
      ],
      "optional": true
    },
    {
      "key": "mobile",
      "label": "手机号码",
      "kind": "text",
      "columns": [
        "新手机号码"
      ]
    },
    {
      "key": "landline",
      "label": "固定电话",
      "kind": "text",
      "columns": [
        "新固定电话"
      ],
      "optional": true
    },
    {
      "key": "bank_account",
      "label": "个人存款账户号码",
      "kind": "text",
      "columns": [
        "新个人存款账户号码"
      ],
      "optional": true
    },
    {
      "key": "bank_name",
      "label": "开户银行",
      "kind": "text",
      "columns": [
        "新开户银行"
      ],
      "optional": true
    },
    {
      "key": "note",
      "label": "备注",
      "kind": "text",
      "optional": true,
      "extra": true
    }
  ],
  "contributor_registration": [
    {
      "key": "name",
      "label": "姓名",
      "kind": "text"
    },
    {
      "key": "id_type",
      "label": "证件类型",
      "kind": "select",
      "options": {
        "codeTable": "id_type"
      }
    },
    {
      "key": "id_number",
      "label": "证件号码",
      "kind": "text"
    },
    {
      "key": "sex",
      "label": "性别",
      "kind": "select",
      "options": {
        "codeTable": "sex"
      },
      "optional": true
    },
    {
      "key": "birth_month",
      "label": "出生年月",
      "kind": "month",
      "placeholder": "身份证可不填，如 199003",
      "optional": true
    },
    {
      "key": "mobile",
      "label": "手机号码",
      "kind": "text"
    },
    {
      "key": "landline",
      "label": "固定电话",
      "kind": "text",
      "optional": true
    },
    {
      "key": "base",
      "label": "个人缴存基数",
      "kind": "money",
      "columns": [
        "个人缴存基数（元）"
      ]
    },
    {
      "key": "first_month",
      "label": "首次汇缴年月",
      "kind": "month",
      "placeholder": "如 202611"
    },
    {
      "key": "bank_account",
      "label": "个人存款账户号码",
      "kind": "text",
      "optional": true
    },
    {
      "key": "bank_name",
      "label": "开户银行",
      "kind": "text",
      "optional": true
    },
    {
      "key": "note",
      "label": "备注",
      "kind": "text",
      "optional": true
    }
  ],
  "project": [
    {
      "key": "name",
      "label": "楼盘名称",
      "kind": "text"
    },
    {
      "key": "address",
      "label": "楼盘地址",
      "kind": "text"
    },
    {
      "key": "presale_permit",
      "label": "预售许可证号",
      "kind": "text"
    },
    {
      "key": "land_planning_permit",
      "label": "建设用地规划许可证号",
      "kind": "text"
    },
    {
      "key": "land_certificate",
      "label": "国有土地使用证号",
      "kind": "text",
      "columns": [
        "不动产权证号"
      ]
    },
    {
      "key": "engineering_planning_permit",
      "label": "建设工程规划许可证号",
      "kind": "text"
    },
    {
      "key": "construction_permit",
      "label": "建筑工程施工许可证号",
      "kind": "text"
    },
    {
      "key": "mortgage_agreement_date",
      "label": "按揭协议日期",
      "kind": "date"
    },
    {
      "key": "deposit_ratio",
      "label": "保证金比例",
      "kind": "percent",
      "placeholder": "如 5（表示 5%）"
    },
    {
      "key": "deposit_account",
      "label": "保证金账户",
      "kind": "text"
    },
    {
      "key": "deposit_bank",
      "label": "保证金账户开户行",
      "kind": "text"
    },
    {
      "key": "deposit_account_name",
      "label": "保证金开户名",
      "kind": "text"
    },
    {
      "key": "total_area",
      "label": "建筑总面积",
      "kind": "area"
    },
    {
      "key": "total_amount",
      "label": "建筑总金额",
      "kind": "money"
    },
    {
      "key": "land_total",
      "label": "获取土地总价",
      "kind": "money"
    },
    {
      "key": "land_unit_price",
      "label": "土地单价",
      "kind": "money",
      "placeholder": "元/平方米"
    },
    {
      "key": "contact_name",
      "label": "联系人",
      "kind": "text"
    },
    {
      "key": "contact_phone",
      "label": "联系电话",
      "kind": "text"
    },
    {
      "key": "note",
      "label": "备注",
      "kind": "textarea",
      "optional": true
    }
  ],
  "rate_adjustment": [
    {
      "key": "unit_rate",
      "label": "单位缴存比例",
      "kind": "percent",
      "placeholder": "如 12（表示 12%）"
    },
    {
      "key": "person_rate",
      "label": "个人缴存比例",
      "kind": "percent",
      "placeholder": "如 12（表示 12%）"
    },
    {
      "key": "effective_month",
      "label": "生效年月",
      "kind": "month",
      "placeholder": "如 202611"
    }
  ],
  "unit_change": [
    {
      "key": "name",
      "label": "单位名称",
      "kind": "text"
    },
    {
      "key": "address",
      "label": "单位地址",
      "kind": "text"
    },
    {
      "key": "legal_rep_name",
      "label": "法定代表人姓名",
      "kind": "text"
    },
    {
      "key": "legal_rep_id_type",
      "label": "法定代表人证件类型",
      "kind": "select",
      "options": {
        "codeTable": "id_type"
      }
    },
    {
      "key": "legal_rep_id_number",
      "label": "法定代表人证件号码",
      "kind": "text"
    },
    {
      "key": "agent_name",
      "label": "经办人姓名",
      "kind": "text"
    },
    {
      "key": "agent_id_type",
      "label": "经办人证件类型",
      "kind": "select",
      "options": {
        "codeTable": "id_type"
      }
    },
    {
      "key": "agent_id_number",
      "label": "经办人证件号码",
      "kind": "text"
    },
    {
      "key": "agent_mobile",
      "label": "经办人手机号码",
      "kind": "text"
    },
    {
      "key": "agent_landline",
      "label": "经办人固定电话",
      "kind": "text",
      "optional": true
    },
    {
      "key": "phone",
      "label": "单位联系电话",
      "kind": "text",
      "optional": true
    },
    {
      "key": "fax",
      "label": "传真号码",
      "kind": "text",
      "optional": true
    },
    {
      "key": "postcode",
      "label": "邮政编码",
      "kind": "text",
      "optional": true
    },
    {
      "key": "email",
      "label": "电子信箱",
      "kind": "text",
      "optional": true
    },
    {
      "key": "payday",
      "label": "发薪日",
      "kind": "text",
      "placeholder": "每月几号，如 15",
      "optional": true
    },
    {
      "key": "payroll_account",
      "label": "发薪账号",
      "kind": "text",
      "optional": true
    },
    {
      "key": "payroll_account_name",
      "label": "发薪账户户名",
      "kind": "text",
      "optional": true
    },
    {
      "key": "payroll_bank",
      "label": "发薪账户开户银行",
      "kind": "text",
      "optional": true
    },
    {
      "key": "trustee_bank_code",
      "label": "受托银行代码",
      "kind": "text",
      "optional": true
    },
    {
      "key": "trustee_bank_name",
      "label": "受托银行名称",
      "kind": "text",
      "optional": true
    }
  ]
} satisfies Record<string, FieldDef[]>;
